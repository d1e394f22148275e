package org.layerfuse.prune.loop;

import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.engine.kernels.NdBuffers;
import org.layerfuse.prune.signals.LayerSignals;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Results of the deterministic parts of a pruning step, keyed by the model state they were
 * computed from: signals, ΔA measurements, evaluations, and the healed state reached by
 * removing a layer and healing. Every run of a study starts from the same fine-tuned
 * baseline and healing is seeded by the step, not the strategy, so runs that make the same
 * choices reach bit-identical states: the first step of all fifteen strategies shares one
 * signal table, and strategies that remove the same layer share one healing. Reusing them
 * changes no result and removes most of a study's repeated work.
 *
 * <p>The key of a state is its live set and a CRC-32C of every live parameter. Healed states
 * are kept on disk ({@link HealedStates}, when the cache has one) up to a byte budget, least
 * recently used first out, so they cost the study no resident memory.
 */
public final class StepCache {

    /** Appended to the healer's summary of a healing restored from the cache (its step's heal time is ~0). */
    public static final String REUSED = " [reused: same state healed the same way earlier in this study]";

    private final HealedStates healed;
    private final Map<String, LayerSignals> signals = new HashMap<>();
    private final Map<String, DeltaAccuracy.Measurement> deltas = new HashMap<>();
    private final Map<String, Evaluation> evaluations = new HashMap<>();
    /** Test-split hidden states of the latest evaluated model (see {@link TestStates}). */
    private final TestStates.Recent testStates = new TestStates.Recent();
    private int hits;
    private int misses;

    /** A cache of signals, ΔA measurements and evaluations that keeps no healed states. */
    public StepCache() {
        this(null);
    }

    /** A cache that also keeps healed states in {@code healed} (null: none); the caller closes it. */
    public StepCache(HealedStates healed) {
        this.healed = healed;
    }

    /** The key of a model's current state. */
    public static String key(BertModel model) {
        CRC32C crc = new CRC32C();
        for (Map.Entry<String, INDArray> e : model.parameters().entrySet()) {
            crc.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            long c = NdBuffers.crc32c(e.getValue());
            for (int i = 0; i < 8; i++) {
                crc.update((int) (c >>> (8 * i)));
            }
        }
        return java.util.Arrays.toString(model.liveLayers()) + ":" + Long.toHexString(crc.getValue());
    }

    LayerSignals signals(String key, java.util.function.Supplier<LayerSignals> compute) {
        return remember(signals, key, compute);
    }

    DeltaAccuracy.Measurement deltas(String key, java.util.function.Supplier<DeltaAccuracy.Measurement> compute) {
        return remember(deltas, key, compute);
    }

    Evaluation evaluation(String key, java.util.function.Supplier<Evaluation> compute) {
        return remember(evaluations, key, compute);
    }

    private <T> T remember(Map<String, T> map, String key, java.util.function.Supplier<T> compute) {
        T value = map.get(key);
        if (value != null) {
            hits++;
            return value;
        }
        misses++;
        value = compute.get();
        map.put(key, value);
        return value;
    }

    /**
     * Heals {@code model} (already without {@code removedLayer}) or, when the same parent
     * state was healed the same way before, restores that result. A new healed state is written
     * to the cache's folder behind the caller by {@code writes}: the caller keeps the parameters
     * unchanged until {@link WriteBehind#await}.
     */
    String heal(String parentKey, BertModel model, Healer healer, int removedLayer, int step, WriteBehind writes) {
        String key = parentKey + "|" + healer.name() + "|" + removedLayer + "|" + step;
        String cached = healed == null ? null : healed.restore(key, model);
        if (cached != null) {
            hits++;
            return cached + REUSED;
        }
        misses++;
        String summary = healer.heal(model, removedLayer, step);
        if (healed != null) {
            Map<String, INDArray> parameters = model.parameters();
            writes.submit(() -> healed.put(key, parameters, summary));
        }
        return summary;
    }

    /** The test-split states kept for runs sharing this cache. */
    TestStates.Recent testStates() {
        return testStates;
    }

    /** Frees the kept test-split states (when the runs sharing this cache are done). */
    public void releaseTestStates() {
        testStates.clear();
    }

    public int hits() {
        return hits;
    }

    public int misses() {
        return misses;
    }
}
