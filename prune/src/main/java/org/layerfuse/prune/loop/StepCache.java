package org.layerfuse.prune.loop;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
 * are kept (off-heap copies) up to a byte budget, least recently used first out.
 */
public final class StepCache {

    /** Appended to the healer's summary of a healing restored from the cache (its step's heal time is ~0). */
    public static final String REUSED = " [reused: same state healed the same way earlier in this study]";

    private final long maxHealedBytes;
    private final Map<String, LayerSignals> signals = new HashMap<>();
    private final Map<String, DeltaAccuracy.Measurement> deltas = new HashMap<>();
    private final Map<String, Evaluation> evaluations = new HashMap<>();
    private final LinkedHashMap<String, Healed> healed = new LinkedHashMap<>(16, 0.75f, true);
    private long healedBytes;
    private int hits;
    private int misses;

    /** A healed state: the live parameters and the healer's summary. */
    record Healed(Map<String, INDArray> parameters, String summary, long bytes) {
    }

    public StepCache(long maxHealedBytes) {
        this.maxHealedBytes = maxHealedBytes;
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
     * state was healed the same way before, restores that result.
     */
    String heal(String parentKey, BertModel model, Healer healer, int removedLayer, int step) {
        String key = parentKey + "|" + healer.name() + "|" + removedLayer + "|" + step;
        Healed cached = healed.get(key);
        if (cached != null) {
            hits++;
            cached.parameters().forEach((name, array) -> model.parameter(name).assign(array));
            return cached.summary() + REUSED;
        }
        misses++;
        String summary = healer.heal(model, removedLayer, step);
        long bytes = 0;
        for (INDArray a : model.parameters().values()) {
            bytes += a.length() * a.dataType().width();
        }
        if (bytes <= maxHealedBytes) {
            Map<String, INDArray> copy = new LinkedHashMap<>();
            model.parameters().forEach((name, array) -> copy.put(name, array.dup()));
            healed.put(key, new Healed(copy, summary, bytes));
            healedBytes += bytes;
            for (Iterator<Map.Entry<String, Healed>> it = healed.entrySet().iterator();
                 healedBytes > maxHealedBytes && it.hasNext(); ) {
                Healed evicted = it.next().getValue();
                healedBytes -= evicted.bytes();
                it.remove();
                evicted.parameters().values().forEach(INDArray::close); // only the cache held them
            }
        }
        return summary;
    }

    public int hits() {
        return hits;
    }

    public int misses() {
        return misses;
    }
}
