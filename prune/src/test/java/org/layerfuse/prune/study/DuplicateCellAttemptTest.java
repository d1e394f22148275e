package org.layerfuse.prune.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.cli.StudyCommand;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.loop.StepRecord;

/**
 * A speculative duplicate: the same cell of a real study (MiniLM on spam-assassin, tiny
 * sizes) started by two attempts at the same moment. One runs it; the other waits for the
 * cell, then finds it finished and writes nothing: one consistent record set.
 */
class DuplicateCellAttemptTest {

    @Test
    void theSameCellStartedTwiceAtOnceEndsWithOneRecordSet(@TempDir Path out) throws Exception {
        StudyJob job = StudyCommand.executorJob(List.of("--model", "minilm", "--data", "spam-assassin", "--strategies",
                "weight-norm", "--heal", "ce", "--repeats", "1", "--layers-to-remove", "2", "--train-size", "32",
                "--heal-size", "16", "--validation-size", "16", "--test-size", "32", "--signal-size", "16", "--epochs", "1",
                "--heal-epochs", "1", "--seed", "7", "--out", out.toString()), 1);
        StudyRunner runner = job.runner();
        runner.prepare(false);
        EncodedSplits splits = job.data().apply("spam-assassin");
        BertModel baseline = runner.baseline(job.model(), splits);
        CellKey cell = job.spec().cells().get(0);

        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        List<Future<CellOutcome>> attempts = new ArrayList<>();
        for (String attempt : List.of("attempt A", "attempt B")) {
            BertModel own = baseline.copy();
            attempts.add(threads.submit(() -> {
                start.await();
                return runner.runCell(cell, own, splits, job.signals().forSplits(splits), StudyRunner.newStepCache(),
                        attempt);
            }));
        }
        List<CellOutcome> outcomes = new ArrayList<>();
        for (Future<CellOutcome> f : attempts) {
            outcomes.add(f.get());
        }
        threads.shutdown();
        outcomes.sort(Comparator.comparingInt(CellOutcome::stepsBefore));
        for (CellOutcome o : outcomes) {
            assertNull(o.error(), o.attempt() + " failed");
            assertEquals(3, o.stepsAfter(), o.attempt() + " sees the finished cell");
        }
        assertEquals(0, outcomes.get(0).stepsBefore(), "one attempt ran the cell from the start");
        assertEquals(3, outcomes.get(1).stepsBefore(), "the other got the cell only once it was finished: it did nothing");

        Path dir = cell.directory(out);
        List<StepRecord> steps = StudyResults.read(out).cells().get(0).steps();
        assertEquals(List.of(0, 1, 2), steps.stream().map(StepRecord::step).toList());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("cell.lock", "run.json", "step-000.json", "step-001.json", "step-002.json"), names,
                    "only the records of one run, nothing half-written");
        }
        assertTrue(CellLock.holder(dir).equals(outcomes.get(1).attempt()), "the lock names the last attempt");
    }
}
