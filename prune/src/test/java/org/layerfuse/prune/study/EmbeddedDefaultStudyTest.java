package org.layerfuse.prune.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.AdamW;
import org.layerfuse.bert.train.TrainerOptions;
import org.layerfuse.engine.Backend;
import org.layerfuse.prune.data.Datasets;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.data.TextFileOptions;
import org.layerfuse.prune.loop.SequentialPruner;
import org.layerfuse.prune.report.ReportSummary;
import org.layerfuse.prune.report.StudyReport;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.signals.Signal;
import org.layerfuse.prune.signals.SignalComputer;
import org.layerfuse.prune.strategy.PruningStrategy;
import org.layerfuse.prune.strategy.Strategies;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The embedded real default, CI-sized: all-MiniLM-L6-v2 fine-tuned on spam-assassin (ham vs
 * spam), then one removal by each of the paper's fifteen strategies with CE and KD healing;
 * and prune-and-fuse: two removals chosen by macro influence, grafted or not.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedDefaultStudyTest {

    /** Shared by the tests so the fine-tuned baseline is trained once. */
    @TempDir
    static Path shared;

    private static final TrainerOptions BASELINE = new TrainerOptions(1e-4, 32, 3, 0, 0.1, AdamW.Hyper.defaults(), 42,
            0, 0);
    private static final TrainerOptions HEALING = BASELINE.withEpochs(2);

    private static EncodedSplits splits(PretrainedModels.Pretrained minilm) throws java.io.IOException {
        return EncodedSplits.of(Datasets.load("spam-assassin", TextFileOptions.defaults()), minilm.tokenizer(), 256, 128,
                64, 256, 32, 32, 42);
    }

    @Test
    @Order(1)
    void realModelOnRealDataLearnsPrunesAndReports() throws Exception {
        Path out = shared.resolve("fifteen");
        Backend.init();
        PretrainedModels.Pretrained minilm = PretrainedModels.load("minilm");
        EncodedSplits splits = splits(minilm);
        List<String> fifteen = Strategies.paperFifteen().stream().map(PruningStrategy::name).toList();
        TrainerOptions baseline = BASELINE;
        TrainerOptions healing = HEALING;
        StudySpec spec = new StudySpec("minilm", List.of("spam-assassin"), List.of("ce", "kd"), fifteen, 1, 1, 6, 42,
                256, 128, 64, 256, 32, 32, healing.fingerprint());
        StudyRunner runner = new StudyRunner(spec, new StudyRunner.Settings(baseline, healing, 0.5, 2.0, 64, false), out);
        SignalComputer.Options signalOptions = SignalComputer.Options.defaults();
        StudyResults results = runner.run(minilm, d -> splits, s -> new SignalComputer(s.signal(), signalOptions), false);

        Baseline base = results.baseline("spam-assassin").orElseThrow();
        assertTrue(base.accuracy() >= 0.90, "fine-tuned MiniLM reaches >= 0.90 on 256 held-out messages: " + base);
        assertTrue(results.incomplete().isEmpty(), "every cell finished: " + results.incomplete());
        double ce = 0;
        double kd = 0;
        List<String> lines = new ArrayList<>();
        for (CellResult c : results.cells()) {
            double accuracy = c.steps().get(1).accuracy();
            assertTrue(accuracy > base.majorityRate(), c.key() + ": accuracy after one removal and healing " + accuracy
                    + " must stay above the majority rate " + base.majorityRate());
            if (c.key().heal().equals("ce")) {
                ce += accuracy / fifteen.size();
            } else {
                kd += accuracy / fifteen.size();
            }
            lines.add(String.format(Locale.ROOT, "%s %s removed %d: %.4f", c.key().heal(), c.key().strategy(),
                    c.steps().get(1).removedLayer(), accuracy));
        }
        System.out.println(String.join("\n", lines));
        System.out.printf(Locale.ROOT, "baseline %.4f, mean after one removal: CE %.4f, KD %.4f%n", base.accuracy(), ce,
                kd);
        // The paper finds distillation at least as good as fine-tuning. Whether it is here is a
        // measured outcome, not a property of the code: report it either way, prominently.
        String verdict = String.format(Locale.ROOT, "KD healing %s CE healing on average over the fifteen strategies: "
                + "KD %.4f vs CE %.4f (difference %+.4f)", kd >= ce ? "matches or beats" : "is BELOW", kd, ce, kd - ce);
        System.out.println(verdict);
        Files.writeString(Path.of("target", "embedded-study-kd-vs-ce.txt"), verdict + "\n" + String.join("\n", lines));

        ReportSummary report = StudyReport.write(results, StudyReport.defaultDirectory(out));
        assertTrue(Files.size(report.html()) > 10_000);
        assertTrue(report.missing().isEmpty(), "nothing missing: " + report.missing());
    }

    /**
     * FuseGPT on the real default: macro influence (one-shot, so every healing mode removes
     * the same two layers) with no healing, static fusion and learnable grafting, and the
     * iterative variant with grafting; grafting must recover accuracy that plain removal loses.
     */
    @Test
    @Order(2)
    void graftingRecoversMoreThanRemovalAloneOnRealMiniLm() throws Exception {
        Path out = shared.resolve("graft");
        Path baselineDir = StudyResults.baselineFile(shared.resolve("fifteen"), "spam-assassin").getParent();
        if (Files.isDirectory(baselineDir)) {
            Path target = StudyResults.baselineFile(out, "spam-assassin").getParent();
            Files.createDirectories(target);
            try (var files = Files.list(baselineDir)) {
                for (Path f : files.toList()) {
                    Files.copy(f, target.resolve(f.getFileName()));
                }
            }
        }
        Backend.init();
        PretrainedModels.Pretrained minilm = PretrainedModels.load("minilm");
        EncodedSplits splits = splits(minilm);
        StudySpec spec = new StudySpec("minilm", List.of("spam-assassin"), List.of("none", "graft-static", "graft"),
                List.of("macro-influence-oneshot", "macro-influence"), 1, 2, 6, 42, 256, 128, 64, 256, 32, 32,
                HEALING.fingerprint());
        StudyRunner runner = new StudyRunner(spec, new StudyRunner.Settings(BASELINE, HEALING, 0.5, 2.0, 64, false), out);
        StudyResults results = runner.run(minilm, d -> splits,
                s -> new SignalComputer(s.signal(), SignalComputer.Options.defaults()), false);
        assertTrue(results.incomplete().isEmpty(), "every cell finished: " + results.incomplete());
        CellResult none = cell(results, "none", "macro-influence-oneshot");
        CellResult graft = cell(results, "graft", "macro-influence-oneshot");
        CellResult statik = cell(results, "graft-static", "macro-influence-oneshot");
        CellResult iterative = cell(results, "graft", "macro-influence");
        assertEquals(List.of(none.steps().get(1).removedLayer(), none.steps().get(2).removedLayer()),
                List.of(graft.steps().get(1).removedLayer(), graft.steps().get(2).removedLayer()),
                "one-shot scores do not depend on healing: the same layers go");
        double plain = none.steps().get(2).accuracy();
        double grafted = graft.steps().get(2).accuracy();
        String line = String.format(Locale.ROOT, "two layers removed by one-shot macro influence %s: no healing %.4f, "
                + "static fusion %.4f, learnable grafting %.4f; iterative + grafting (%s) %.4f", java.util.Arrays.toString(
                SequentialPruner.removalOrder(none.steps())), plain, statik.steps().get(2).accuracy(), grafted,
                java.util.Arrays.toString(SequentialPruner.removalOrder(iterative.steps())), iterative.steps().get(2).accuracy());
        System.out.println(line);
        Files.writeString(Path.of("target", "embedded-graft.txt"), line + "\n");
        assertTrue(grafted > plain, "grafting recovers accuracy that removal alone loses: " + line);
        ReportSummary report = StudyReport.write(results, StudyReport.defaultDirectory(out));
        assertTrue(Files.readString(report.html()).contains("table-graft-ablation"), "the ablation table is reported");
    }

    private static CellResult cell(StudyResults results, String heal, String strategy) {
        return results.cells().stream().filter(c -> c.key().heal().equals(heal) && c.key().strategy().equals(strategy))
                .findFirst().orElseThrow(() -> new AssertionError("no cell " + heal + "/" + strategy));
    }

    @Test
    @Order(3)
    void signalTableOfRealMiniLmOnRealText(@TempDir Path out) throws Exception {
        Backend.init();
        PretrainedModels.Pretrained minilm = PretrainedModels.load("minilm");
        EncodedSplits splits = EncodedSplits.of(Datasets.load("spam-assassin", TextFileOptions.defaults()),
                minilm.tokenizer(), 64, 64, 16, 16, 64, 32, 7);
        BertModel model = BertModel.forClassification(minilm.weights(), splits.labels(), 7, DataType.FLOAT);
        LayerSignals table = new SignalComputer(splits.signal(), SignalComputer.Options.defaults()).compute(model);
        assertEquals(6, table.liveLayers().length);
        for (int l = 0; l < 6; l++) {
            for (Signal s : Signal.values()) {
                assertTrue(Double.isFinite(table.get(l, s)), s + " of layer " + l + " is " + table.get(l, s));
            }
        }
        Path csv = out.resolve("signals.csv");
        table.writeCsv(csv);
        assertEquals(table, LayerSignals.fromCsv(Files.readString(csv), csv.toString()));
        assertEquals(7, Files.readAllLines(csv).size(), "header + 6 layers");
        assertTrue(table.uninformative().contains(Signal.WEIGHT_SPARSITY), "MiniLM's dense weights have no zeros");
    }
}
