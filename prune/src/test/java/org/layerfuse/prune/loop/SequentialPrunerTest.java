package org.layerfuse.prune.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.TinyTask;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.strategy.RandomForestFusion;
import org.layerfuse.prune.strategy.Strategies;
import org.nd4j.linalg.api.ndarray.INDArray;

class SequentialPrunerTest {

    static BertModel trained;
    static SequentialPruner.Data data;
    static EncodedExamples train;

    @BeforeAll
    static void setUp() {
        trained = TinyTask.trainedModel();
        data = new SequentialPruner.Data(TinyTask.examples(64, 3), TinyTask.examples(64, 4), TinyTask.examples(96, 5));
        train = TinyTask.examples(64, 6);
    }

    static RunSpec spec(String strategy, int k) {
        return new RunSpec("tiny", "synthetic", strategy, "ce", 7, k, 64, 64, 64, 96, 64, 8, TinyTask.training().fingerprint());
    }

    @Test
    void recordsEveryStepWithShrinkingModel(@TempDir Path dir) throws Exception {
        BertModel model = trained.copy();
        RunDirectory run = new RunDirectory(dir);
        run.open(spec("weight-norm", 2), false);
        List<StepRecord> records = new SequentialPruner(Strategies.byName("weight-norm"), TinyTask.weightSignals(),
                Healers.fineTune(train, TinyTask.training()), data, 7, 64).run(model, 2, run);
        assertEquals(3, records.size());
        assertEquals(null, records.get(0).removedLayer());
        long perLayer = ParamNames.layerParams(TinyTask.CONFIG, 0).stream()
                .mapToLong(e -> e.shape().length == 1 ? e.shape()[0] : e.shape()[0] * e.shape()[1]).sum();
        assertEquals(records.get(0).parameters() - perLayer, records.get(1).parameters());
        assertEquals(records.get(0).parameters() - 2 * perLayer, records.get(2).parameters());
        assertEquals(2, records.get(2).liveLayers().length);
        assertTrue(records.get(1).accuracy() > 0.5, "accuracy after healing above chance: " + records.get(1).accuracy());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("model-step-002.bin", "run.json", "step-000.json", "step-001.json", "step-002.json"),
                    names);
        }
        assertEquals(records.get(2).accuracy(), new RunDirectory(dir).steps().get(2).accuracy(), 0.0);
        assertEquals(2, model.liveCount());
        // the files are written behind the computation; run returns once they are whole: the last
        // model file holds the final parameters, byte for byte
        BertModel reloaded = trained.copy();
        new RunDirectory(dir).loadModel(2, reloaded);
        assertArrayEquals(model.liveMask(), reloaded.liveMask());
        for (Map.Entry<String, INDArray> e : model.allParameters().entrySet()) {
            assertArrayEquals(e.getValue().dup('c').data().asBytes(),
                    reloaded.allParameters().get(e.getKey()).dup('c').data().asBytes(), e.getKey());
        }
    }

    @Test
    void resumeAfterAKillBetweenStepsGivesTheSameResults(@TempDir Path straightDir, @TempDir Path killedDir) {
        RunSpec spec = spec("random-forest", 2);
        RunDirectory straight = new RunDirectory(straightDir);
        straight.open(spec, false);
        List<StepRecord> expected = new SequentialPruner(new RandomForestFusion(), TinyTask.weightSignals(),
                Healers.fineTune(train, TinyTask.training()), data, 7, 64).run(trained.copy(), 2, straight);

        RunDirectory killed = new RunDirectory(killedDir);
        killed.open(spec, false);
        Healer dying = new Healer() {
            final Healer ce = Healers.fineTune(train, TinyTask.training());

            @Override
            public String name() {
                return "ce";
            }

            @Override
            public String heal(BertModel model, int removedLayer, int step) {
                if (step == 2) {
                    throw new IllegalStateException("killed");
                }
                return ce.heal(model, removedLayer, step);
            }
        };
        assertThrows(IllegalStateException.class, () -> new SequentialPruner(new RandomForestFusion(),
                TinyTask.weightSignals(), dying, data, 7, 64).run(trained.copy(), 2, killed));
        assertEquals(2, killed.steps().size());

        RunDirectory resumed = new RunDirectory(killedDir);
        resumed.open(spec, true);
        BertModel fresh = trained.copy();
        List<StepRecord> actual = new SequentialPruner(new RandomForestFusion(), TinyTask.weightSignals(),
                Healers.fineTune(train, TinyTask.training()), data, 7, 64).run(fresh, 2, resumed);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            StepRecord a = expected.get(i);
            StepRecord b = actual.get(i);
            assertEquals(a.removedLayer(), b.removedLayer(), "step " + i);
            assertArrayEquals(a.liveLayers(), b.liveLayers());
            assertEquals(a.accuracy(), b.accuracy(), 0.0, "accuracy of step " + i);
            assertEquals(a.testLoss(), b.testLoss(), 0.0, "loss of step " + i);
            assertEquals(a.signalsCsv(), b.signalsCsv());
            assertEquals(a.deltaRows().size(), b.deltaRows().size());
            assertArrayEquals(a.featureImportance(), b.featureImportance());
        }
    }

    /** Two strategies through one cache: the second reuses the first's work and records the same numbers. */
    @Test
    void sharedStepCacheChangesNoResult(@TempDir Path a, @TempDir Path b, @TempDir Path c, @TempDir Path states) {
        HealedStates healed = new HealedStates(states.resolve("healed"), 1L << 30);
        StepCache cache = new StepCache(healed);
        List<StepRecord> plain = runOnce(a, "weight-entropy", null);
        List<StepRecord> first = runOnce(b, "weight-norm", cache);
        int missesAfterFirst = cache.misses();
        List<StepRecord> cached = runOnce(c, "weight-entropy", cache);
        assertTrue(cache.hits() > 0, "the second run reuses the first's signals");
        assertTrue(cache.misses() - missesAfterFirst < missesAfterFirst, "and computes less than the first");
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).removedLayer(), cached.get(i).removedLayer());
            assertEquals(plain.get(i).accuracy(), cached.get(i).accuracy(), 0.0);
            assertEquals(plain.get(i).testLoss(), cached.get(i).testLoss(), 0.0);
            assertEquals(plain.get(i).signalsCsv(), cached.get(i).signalsCsv());
        }
        assertEquals(first.get(0).accuracy(), cached.get(0).accuracy(), 0.0);
        assertTrue(healed.size() > 0, "healed states were kept on disk");
        if (first.get(1).removedLayer().equals(cached.get(1).removedLayer())) {
            assertTrue(cached.get(1).heal().endsWith(StepCache.REUSED), "the shared healing came from disk: "
                    + cached.get(1).heal());
        }
        healed.close();
    }

    private static List<StepRecord> runOnce(Path dir, String strategy, StepCache cache) {
        RunDirectory run = new RunDirectory(dir);
        run.open(spec(strategy, 2), false);
        return new SequentialPruner(Strategies.byName(strategy), TinyTask.weightSignals(),
                Healers.fineTune(train, TinyTask.training()), data, 7, 64, cache).run(trained.copy(), 2, run);
    }

    @Test
    void aDirectoryFromAnotherConfigurationIsRefusedAndKept(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        run.open(spec("weight-norm", 1), false);
        new SequentialPruner(Strategies.byName("weight-norm"), TinyTask.weightSignals(), Healers.none(), data, 7, 64)
                .run(trained.copy(), 1, run);
        String before = Files.readString(dir.resolve("step-001.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RunDirectory(dir).open(spec("weight-entropy", 1), true));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RunDirectory(dir).open(spec("weight-norm", 1), false));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        assertEquals(before, Files.readString(dir.resolve("step-001.json")));
        assertThrows(IllegalArgumentException.class, () -> new SequentialPruner(Strategies.byName("weight-norm"),
                TinyTask.weightSignals(), Healers.none(), data, 7, 64).run(trained.copy(), 4, run));
    }

    @Test
    void deltaAccuracyRemovesExactlyOneLayerAtATimeAndRestoresIt() {
        BertModel model = trained.copy();
        model.removeLayer(2);
        LayerSignals signals = TinyTask.weightSignals().compute(model);
        var before = model.forward(data.validation().tokens()).logits();
        DeltaAccuracy.Measurement m = DeltaAccuracy.measure(model, data.validation(), 64, signals, 1);
        assertArrayEquals(new int[] {0, 1, 3}, model.liveLayers());
        assertEquals(before, model.forward(data.validation().tokens()).logits());
        assertEquals(3, m.rows().size());
        BertModel check = trained.copy();
        check.removeLayer(2);
        check.removeLayer(3);
        double without3 = Evaluator.evaluate(check, data.validation(), 64).accuracy();
        assertEquals(m.currentAccuracy() - without3, m.rows().get(2).deltaAccuracy(), 1e-12);
        assertEquals(3, m.rows().get(2).layer());
    }

    @Test
    void deltaAccuracyResumedFromHiddenStatesEqualsEvaluatingEachVariantInFull() {
        BertModel model = trained.copy();
        model.removeLayer(1); // a gap: the variant without layer 2 resumes from layer 0's output
        LayerSignals signals = TinyTask.weightSignals().compute(model);
        for (int batch : new int[] {64, 7}) {
            DeltaAccuracy.Measurement resumed = DeltaAccuracy.measure(model, data.validation(), batch, signals, 3);
            DeltaAccuracy.Measurement full = DeltaAccuracy.measureInFull(model, data.validation(), batch, signals, 3);
            assertEquals(full.currentAccuracy(), resumed.currentAccuracy(), 0.0);
            assertEquals(full.rows().size(), resumed.rows().size());
            for (int r = 0; r < full.rows().size(); r++) {
                assertEquals(full.rows().get(r).layer(), resumed.rows().get(r).layer());
                assertEquals(full.rows().get(r).deltaAccuracy(), resumed.rows().get(r).deltaAccuracy(), 0.0,
                        "batch " + batch + ", layer " + full.rows().get(r).layer());
            }
            assertArrayEquals(new int[] {0, 2, 3}, model.liveLayers());
        }
    }
}
