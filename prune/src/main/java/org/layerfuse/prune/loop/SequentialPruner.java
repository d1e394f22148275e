package org.layerfuse.prune.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.engine.Progress;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.strategy.Choice;
import org.layerfuse.prune.strategy.FusionRow;
import org.layerfuse.prune.strategy.PruningContext;
import org.layerfuse.prune.strategy.PruningStrategy;

/**
 * Sequential layer pruning (the paper's section 2.4): at each step compute the signals of
 * the live layers, let the strategy choose one (fusion strategies first measure ΔA on the
 * validation split), replace it with an identity, heal, evaluate on the test split, and
 * record the step to disk. Step 0 records the unpruned model. A step's files (and its healed
 * state for the step cache) are written by a background thread while the next step computes
 * its signals, ΔA and before-healing accuracy ({@link WriteBehind}); the next heal, and the end
 * of the run, wait for them.
 *
 * <p>Everything random is seeded from (seed, step), so a run resumed from its directory
 * gives the same records as an uninterrupted one.
 */
public final class SequentialPruner {

    /**
     * The data splits a run uses: signals (and a strategy's own measurements, such as macro
     * influence) are computed on {@code signal}, ΔA on {@code validation}.
     */
    public record Data(EncodedExamples signal, EncodedExamples validation, EncodedExamples test) {
    }

    private final PruningStrategy strategy;
    private final SignalSource signals;
    private final Healer healer;
    private final Data data;
    private final long seed;
    private final int evalBatch;
    private final StepCache cache;
    private final TestStates.Recent testStates;

    public SequentialPruner(PruningStrategy strategy, SignalSource signals, Healer healer, Data data, long seed,
                            int evalBatch) {
        this(strategy, signals, healer, data, seed, evalBatch, null);
    }

    /** With a cache shared by runs that start from the same model (see {@link StepCache}); null for none. */
    public SequentialPruner(PruningStrategy strategy, SignalSource signals, Healer healer, Data data, long seed,
                            int evalBatch, StepCache cache) {
        this.cache = cache;
        this.testStates = cache != null ? cache.testStates() : new TestStates.Recent();
        this.strategy = strategy;
        this.signals = signals;
        this.healer = healer;
        this.data = data;
        this.seed = seed;
        this.evalBatch = evalBatch;
    }

    /**
     * Removes layers from {@code model} until {@code layersToRemove} are gone, recording each
     * step in {@code run}; resumes after the last finished step found there.
     *
     * @return every step record, the baseline first
     */
    public List<StepRecord> run(BertModel model, int layersToRemove, RunDirectory run) {
        return run(model, layersToRemove, run, true);
    }

    /**
     * As {@link #run(BertModel, int, RunDirectory)}; {@code keepFinalModel} false skips
     * writing the model of the last step (saves a file per run when only the records matter).
     */
    public List<StepRecord> run(BertModel model, int layersToRemove, RunDirectory run, boolean keepFinalModel) {
        int layers = model.numLayers();
        if (layersToRemove < 1 || layersToRemove >= layers) {
            throw new IllegalArgumentException("--layers-to-remove must be in [1, " + (layers - 1) + "] for a "
                    + layers + "-layer model, got " + layersToRemove);
        }
        try (WriteBehind writes = new WriteBehind()) {
            return run(model, layersToRemove, run, keepFinalModel, writes);
        }
    }

    private List<StepRecord> run(BertModel model, int layersToRemove, RunDirectory run, boolean keepFinalModel,
                                 WriteBehind writes) {
        List<StepRecord> records = new ArrayList<>(run.resumableSteps(layersToRemove));
        if (records.isEmpty()) {
            long t0 = System.nanoTime();
            Evaluation base = test(model);
            StepRecord baseline = new StepRecord(0, null, model.liveLayers(), base.accuracy(), base.macroF1(),
                    base.loss(), base.accuracy(), model.parameterCount(), sizeMb(model), null, null, null, List.of(),
                    Double.NaN, "baseline (unpruned)", 0, 0, 0, seconds(t0));
            run.finishStep(baseline, model, false, writes);
            records.add(baseline);
        } else if (records.size() > 1) {
            run.loadModel(records.get(records.size() - 1).step(), model);
        }
        List<FusionRow> history = new ArrayList<>();
        records.forEach(r -> history.addAll(r.deltaRows()));

        int done = records.size() - 1;
        Progress progress = new Progress(strategy.name() + "/" + healer.name(), layersToRemove);
        progress.step(done, "resumed at step " + done);
        for (int step = done + 1; step <= layersToRemove; step++) {
            long t0 = System.nanoTime();
            String parent = StepCache.key(model);
            LayerSignals table = cache == null ? signals.compute(model) : cache.signals(parent, () -> signals.compute(model));
            double signalSeconds = seconds(t0);

            long t1 = System.nanoTime();
            double validationAccuracy = Double.NaN;
            List<FusionRow> rows = List.of();
            if (strategy.needsDeltaAccuracy()) {
                int currentStep = step;
                DeltaAccuracy.Measurement m = cache == null
                        ? DeltaAccuracy.measure(model, data.validation(), evalBatch, table, step)
                        : relabel(cache.deltas(parent, () -> DeltaAccuracy.measure(model, data.validation(), evalBatch,
                                table, currentStep)), step);
                validationAccuracy = m.currentAccuracy();
                rows = m.rows();
                history.addAll(rows);
            }
            Choice choice = strategy.choose(new PruningContext(step, table, history, seed, model, data.signal(),
                    previousScores(records)));
            if (!model.isLive(choice.layer())) {
                throw new IllegalStateException(strategy.name() + " chose layer " + choice.layer()
                        + ", which is already removed");
            }
            double choiceSeconds = seconds(t1);

            String chosenFrom = StepCache.key(model); // the state the kept test states must be of
            model.removeLayer(choice.layer());
            double beforeHeal = testWithout(model, chosenFrom, choice.layer()).accuracy();
            writes.await(); // the last step's files are read from the parameters the heal changes
            long t2 = System.nanoTime();
            String heal = cache == null ? healer.heal(model, choice.layer(), step)
                    : cache.heal(parent, model, healer, choice.layer(), step, writes);
            double healSeconds = seconds(t2);
            Evaluation e = test(model);
            StepRecord record = new StepRecord(step, choice.layer(), model.liveLayers(), e.accuracy(), e.macroF1(),
                    e.loss(), beforeHeal, model.parameterCount(), sizeMb(model), table.toCsv(), choice.scores(),
                    choice.featureImportance(), rows, validationAccuracy, heal, signalSeconds, choiceSeconds,
                    healSeconds, seconds(t0));
            run.finishStep(record, model, step < layersToRemove || keepFinalModel, writes);
            records.add(record);
            progress.step(String.format(Locale.ROOT, "removed %d, accuracy %.3f", choice.layer(), e.accuracy()));
        }
        progress.close();
        if (cache == null) {
            testStates.clear();
        }
        return records;
    }

    /** The test-split evaluation, keeping the hidden states for {@link #testWithout} (fused forward only). */
    private Evaluation test(BertModel model) {
        String key = StepCache.key(model);
        Supplier<Evaluation> compute = BertModel.forwardIsFused() ? () -> {
            TestStates.Evaluated e = TestStates.evaluate(model, data.test(), evalBatch);
            testStates.put(key, e.states());
            return e.evaluation();
        } : () -> Evaluator.evaluate(model, data.test(), evalBatch);
        return cache == null ? compute.get() : cache.evaluation("test|" + key, compute);
    }

    /**
     * The test-split evaluation of {@code model}, which is the state {@code parentKey} with
     * {@code removed} just made an identity: resumed from the parent's kept states when there
     * are any (same result), else in full.
     */
    private Evaluation testWithout(BertModel model, String parentKey, int removed) {
        Supplier<Evaluation> compute = () -> {
            TestStates states = BertModel.forwardIsFused() ? testStates.get(parentKey) : null;
            return states != null ? states.resumeWithout(model, data.test(), evalBatch, removed)
                    : Evaluator.evaluate(model, data.test(), evalBatch);
        };
        return cache == null ? compute.get() : cache.evaluation("test|" + StepCache.key(model), compute);
    }

    /** Cached ΔA rows carry the step they were first measured at; re-number them for this run. */
    private static DeltaAccuracy.Measurement relabel(DeltaAccuracy.Measurement m, int step) {
        return new DeltaAccuracy.Measurement(m.currentAccuracy(), m.rows().stream()
                .map(r -> new FusionRow(step, r.layer(), r.signals(), r.deltaAccuracy())).toList());
    }

    /** The strategy's scores of the steps recorded so far, step 1 first (an empty array where none). */
    private static List<double[]> previousScores(List<StepRecord> records) {
        return records.stream().filter(r -> r.step() > 0)
                .map(r -> r.scores() == null ? new double[0] : r.scores()).toList();
    }

    static double sizeMb(BertModel model) {
        return model.parameterCount() * 4.0 / 1e6;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** The order in which a run removed layers. */
    public static int[] removalOrder(List<StepRecord> records) {
        return records.stream().filter(r -> r.removedLayer() != null).mapToInt(StepRecord::removedLayer).toArray();
    }
}
