package org.layerfuse.prune.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.TinyTask;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.loop.SignalSource;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A study (not only one pruner run) stopped in the middle of a cell and resumed: its records
 * equal an uninterrupted study's, and the finished work was reused: the baseline file is not
 * rewritten, and signals are computed only for the step that had not finished.
 */
class StudyResumeTest {

    private static final String DATASET = "synthetic";

    static StudySpec spec() {
        return new StudySpec("tiny", List.of(DATASET), List.of("none"), List.of("weight-norm"), 1, 3, 4, 7, 64, 64,
                64, 96, 64, 8, "tiny-fingerprint");
    }

    static StudyRunner.Settings settings() {
        return new StudyRunner.Settings(TinyTask.training().withEpochs(2), TinyTask.training(), 0.5, 2.0, 64, false);
    }

    static EncodedSplits splits() {
        EncodedExamples train = TinyTask.examples(64, 6);
        return new EncodedSplits(DATASET, TinyTask.CONFIG.labels(), train, train, TinyTask.examples(64, 4),
                TinyTask.examples(96, 5), train);
    }

    static final PretrainedModels.Pretrained MODEL = new PretrainedModels.Pretrained("tiny",
            BertModel.random(TinyTask.CONFIG, 1, DataType.FLOAT).exportWeights(), null, null, null);

    /** Weight signals that count their calls, and throw (as a kill would stop the run) at call {@code dieAt}. */
    static SignalSource counting(AtomicInteger calls, int dieAt) {
        SignalSource weights = TinyTask.weightSignals();
        return model -> {
            if (calls.incrementAndGet() == dieAt) {
                throw new IllegalStateException("killed while computing the signals of step " + dieAt);
            }
            return weights.compute(model);
        };
    }

    static StudyResults run(Path out, SignalSource signals, boolean resume) {
        return new StudyRunner(spec(), settings(), out).run(MODEL, d -> splits(), s -> signals, resume);
    }

    @Test
    void aStudyStoppedMidCellResumesWithTheSameRecordsReusingFinishedSteps(@TempDir Path straightDir,
                                                                           @TempDir Path killedDir) throws Exception {
        AtomicInteger straightCalls = new AtomicInteger();
        StudyResults straight = run(straightDir, counting(straightCalls, -1), false);
        assertEquals(3, straightCalls.get(), "one signal table per step");

        StudyResults killed = run(killedDir, counting(new AtomicInteger(), 3), false);
        CellResult cell = killed.cells().get(0);
        assertEquals(3, cell.steps().size(), "steps 0..2 finished before the kill in step 3");
        assertNotNull(cell.error());
        Path baseline = killedDir.resolve(DATASET).resolve("baseline").resolve("model.bin");
        byte[] baselineBytes = Files.readAllBytes(baseline);
        FileTime baselineTime = Files.getLastModifiedTime(baseline);

        AtomicInteger resumedCalls = new AtomicInteger();
        StudyResults resumed = run(killedDir, counting(resumedCalls, -1), true);
        assertEquals(1, resumedCalls.get(), "only step 3 is computed; steps 1 and 2 come from disk");
        assertArrayEquals(baselineBytes, Files.readAllBytes(baseline), "the baseline is reused, not retrained");
        assertEquals(baselineTime, Files.getLastModifiedTime(baseline));

        List<StepRecord> expected = straight.cells().get(0).steps();
        List<StepRecord> actual = resumed.cells().get(0).steps();
        assertNull(resumed.cells().get(0).error(), "the resumed cell finished");
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            StepRecord a = expected.get(i);
            StepRecord b = actual.get(i);
            assertEquals(a.removedLayer(), b.removedLayer(), "step " + i);
            assertArrayEquals(a.liveLayers(), b.liveLayers(), "step " + i);
            assertEquals(a.accuracy(), b.accuracy(), 0.0, "accuracy of step " + i);
            assertEquals(a.macroF1(), b.macroF1(), 0.0, "macro-F1 of step " + i);
            assertEquals(a.testLoss(), b.testLoss(), 0.0, "loss of step " + i);
            assertEquals(a.accuracyBeforeHeal(), b.accuracyBeforeHeal(), 0.0, "step " + i);
            assertEquals(a.signalsCsv(), b.signalsCsv(), "signals of step " + i);
            assertArrayEquals(a.scores(), b.scores(), "scores of step " + i);
        }
        assertEquals(straight.baseline(DATASET).orElseThrow().accuracy(),
                resumed.baseline(DATASET).orElseThrow().accuracy(), 0.0);
    }
}
