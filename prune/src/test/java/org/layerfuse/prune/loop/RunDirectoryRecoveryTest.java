package org.layerfuse.prune.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.TinyTask;
import org.nd4j.linalg.api.buffer.DataType;
import org.layerfuse.prune.strategy.Strategies;

/**
 * A run killed after step 2 of 3 and resumed: with intact files the two finished steps are reused
 * (the healer runs once, for step 3); with a step record or a model file damaged as a crash or a
 * bad disk would leave it, the damage is detected, the untrusted steps are recomputed (the healer
 * runs for them again) and the records equal an uninterrupted run's.
 */
class RunDirectoryRecoveryTest {

    static BertModel trained;
    static SequentialPruner.Data data;
    static List<StepRecord> straight;

    @BeforeAll
    static void setUp(@TempDir Path straightDir) {
        // Untrained weights suffice: what is tested is which steps are reused, and every number is deterministic.
        trained = BertModel.random(TinyTask.CONFIG, 1, DataType.FLOAT);
        data = new SequentialPruner.Data(TinyTask.examples(64, 3), TinyTask.examples(64, 4), TinyTask.examples(96, 5));
        RunDirectory run = new RunDirectory(straightDir);
        run.open(SequentialPrunerTest.spec("weight-norm", 3), false);
        straight = pruner(new CountingHealer(-1)).run(trained.copy(), 3, run);
    }

    /**
     * A healer that counts its calls and, if asked, dies at one step as a kill would. It changes no
     * weight (healing is not what is tested here, and fine-tuning would make each run minutes long).
     */
    static final class CountingHealer implements Healer {
        final int dieAt;
        final List<Integer> healedSteps = new ArrayList<>();

        CountingHealer(int dieAt) {
            this.dieAt = dieAt;
        }

        @Override
        public String name() {
            return "none";
        }

        @Override
        public String heal(BertModel model, int removedLayer, int step) {
            if (step == dieAt) {
                throw new IllegalStateException("killed");
            }
            healedSteps.add(step);
            return "counted";
        }
    }

    static SequentialPruner pruner(Healer healer) {
        return new SequentialPruner(Strategies.byName("weight-norm"), TinyTask.weightSignals(), healer, data, 7, 64);
    }

    /** Steps 0..2 finished, the model after step 2 on disk, step 3 interrupted. */
    static RunDirectory killedAtStep3(Path dir) {
        RunDirectory run = new RunDirectory(dir);
        run.open(SequentialPrunerTest.spec("weight-norm", 3), false);
        assertThrows(IllegalStateException.class, () -> pruner(new CountingHealer(3)).run(trained.copy(), 3, run));
        assertEquals(3, run.steps().size());
        assertTrue(Files.exists(dir.resolve("model-step-002.bin")));
        return run;
    }

    static List<Integer> resume(Path dir, List<StepRecord> out) {
        RunDirectory run = new RunDirectory(dir);
        run.open(SequentialPrunerTest.spec("weight-norm", 3), true);
        CountingHealer healer = new CountingHealer(-1);
        out.addAll(pruner(healer).run(trained.copy(), 3, run));
        return healer.healedSteps;
    }

    static void assertSameAsStraight(List<StepRecord> actual) {
        assertEquals(straight.size(), actual.size());
        for (int i = 0; i < straight.size(); i++) {
            StepRecord a = straight.get(i);
            StepRecord b = actual.get(i);
            assertEquals(a.removedLayer(), b.removedLayer(), "step " + i);
            assertArrayEquals(a.liveLayers(), b.liveLayers(), "step " + i);
            assertEquals(a.accuracy(), b.accuracy(), 0.0, "accuracy of step " + i);
            assertEquals(a.testLoss(), b.testLoss(), 0.0, "loss of step " + i);
            assertEquals(a.signalsCsv(), b.signalsCsv(), "signals of step " + i);
        }
    }

    @Test
    void intactFilesAreReusedNotRecomputed(@TempDir Path dir) {
        killedAtStep3(dir);
        List<StepRecord> records = new ArrayList<>();
        assertEquals(List.of(3), resume(dir, records), "only step 3 is healed; steps 1 and 2 come from disk");
        assertSameAsStraight(records);
    }

    @Test
    void aTruncatedStepRecordIsRecomputed(@TempDir Path dir) throws IOException {
        killedAtStep3(dir);
        Path step2 = dir.resolve("step-002.json");
        byte[] whole = Files.readAllBytes(step2);
        Files.write(step2, Arrays.copyOf(whole, whole.length / 2));
        assertEquals(2, new RunDirectory(dir).steps().size(), "the truncated record does not count as finished");

        List<StepRecord> records = new ArrayList<>();
        List<Integer> healed = resume(dir, records);
        // The model after step 1 was deleted when step 2 finished, so the run restarts after step 0.
        assertEquals(List.of(1, 2, 3), healed);
        assertSameAsStraight(records);
        assertTrue(Files.exists(dir.resolve("step-002.json.corrupt")), "the damaged record is kept for inspection");
    }

    @Test
    void aStepRecordMissingAFieldIsRecomputed(@TempDir Path dir) throws IOException {
        killedAtStep3(dir);
        Path step2 = dir.resolve("step-002.json");
        Files.writeString(step2, Files.readString(step2).replaceFirst("\"accuracy\" : [^,]+,", ""));
        List<StepRecord> records = new ArrayList<>();
        assertEquals(List.of(1, 2, 3), resume(dir, records));
        assertSameAsStraight(records);
    }

    @Test
    void aModelFileThatFailsItsChecksumIsNotLoaded(@TempDir Path dir) throws IOException {
        killedAtStep3(dir);
        Path model = dir.resolve("model-step-002.bin");
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length / 2] ^= 0x10; // one flipped bit in a weight: parses fine, only the checksum sees it
        Files.write(model, bytes);

        List<StepRecord> records = new ArrayList<>();
        assertEquals(List.of(1, 2, 3), resume(dir, records));
        assertSameAsStraight(records);
        assertTrue(Files.exists(dir.resolve("model-step-002.bin.corrupt")));
    }

    @Test
    void aTruncatedModelFileIsNotLoaded(@TempDir Path dir) throws IOException {
        killedAtStep3(dir);
        Path model = dir.resolve("model-step-002.bin");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, Arrays.copyOf(bytes, bytes.length - 1000));
        List<StepRecord> records = new ArrayList<>();
        assertEquals(List.of(1, 2, 3), resume(dir, records));
        assertSameAsStraight(records);
    }
}
