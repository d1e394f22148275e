package org.layerfuse.prune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.CellLock;
import org.layerfuse.prune.study.StudyResults;

/**
 * A real multi-process cluster on loopback: Spark's local-cluster[2,1,1024] starts a
 * standalone Master and two Workers in this JVM, and each Worker an executor JVM of its own.
 * The tiny real study run there gives the in-process runner's records; and with one executor
 * JVM killed (SIGKILL) in the middle of a cell, the job still finishes with the same records,
 * the cell resumed from its last finished step, and no directory holds a half-written step.
 * Slow (executor JVMs start, load ND4J, MiniLM and the corpus): run with -Dlayerfuse.slow=true.
 */
@Tag("slow")
class SparkClusterStudyTest {

    private static final String CLUSTER = "local-cluster[2,1,1024]";

    @TempDir
    static Path shared;

    private static Path reference;

    @BeforeAll
    static void sparkHomeAndInProcessReference() throws Exception {
        Path home = Path.of(System.getenv("SPARK_HOME"));
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        Files.writeString(home.resolve("RELEASE"), "Spark jars resolved by Maven, for LayerFuse's tests\n");
        reference = shared.resolve("in-process");
        StudyRecords.Outcome o = StudyRecords.cli(StudyRecords.tinyStudy(reference, "--no-report"));
        assertEquals(0, o.code(), o.err());
    }

    /** The executors' class path: the test JVM's (Spark, ours, the test classes), as Spark's extraClassPath. */
    private static List<String> clusterOptions() {
        return List.of("--spark", CLUSTER, "--spark-conf", "spark.executor.memory=1g", "--spark-conf",
                "spark.executor.extraClassPath=" + System.getProperty("java.class.path"), "--no-report");
    }

    private static List<String> study(Path out) {
        List<String> args = new ArrayList<>(StudyRecords.tinyStudy(out));
        args.addAll(clusterOptions());
        return args;
    }

    @Test
    void executorJvmsGiveTheInProcessRecords() throws Exception {
        Path out = shared.resolve("cluster");
        StudyRecords.copyBaseline(reference, out, "spam-assassin");
        StudyRecords.Outcome o = StudyRecords.cli(study(out));
        assertEquals(0, o.code(), o.err());
        StudyResults results = StudyResults.read(out);
        StudyRecords.assertSameRecords(StudyResults.read(reference), results);
        StudyRecords.assertCleanCells(results);
        for (var c : results.cells()) {
            long pid = pidOf(CellLock.holder(c.key().directory(out)));
            assertNotEquals(ProcessHandle.current().pid(), pid, c.key() + " ran in an executor JVM, not the driver");
        }
    }

    @Test
    void anExecutorKilledMidCellIsReplacedAndTheCellResumes() throws Exception {
        Path out = shared.resolve("fault");
        StudyRecords.copyBaseline(reference, out, "spam-assassin");
        CompletableFuture<StudyRecords.Outcome> job = CompletableFuture.supplyAsync(() -> StudyRecords.cli(study(out)));
        CellKey victim = null;
        Object firstStep = null;
        long killed = -1;
        List<CellKey> cells = StudyResults.read(waitForSpec(out, job)).spec().cells();
        while (killed < 0 && !job.isDone()) {
            for (CellKey c : cells) {
                Path dir = c.directory(out);
                if (Files.exists(dir.resolve("step-000.json")) && !Files.exists(dir.resolve("step-001.json"))) {
                    long pid = pidOf(CellLock.holder(dir));
                    ProcessHandle executor = ProcessHandle.of(pid).orElse(null);
                    if (executor != null && isOurDescendant(executor)) {
                        firstStep = Files.readAttributes(dir.resolve("step-000.json"), BasicFileAttributes.class).fileKey();
                        executor.destroyForcibly(); // SIGKILL, as kill -9
                        killed = pid;
                        victim = c;
                        break;
                    }
                }
            }
            Thread.sleep(50);
        }
        StudyRecords.Outcome o = job.get();
        assertTrue(killed > 0, "an executor was killed in the middle of a cell (after its step 0, before step 1)");
        assertEquals(0, o.code(), o.err());
        StudyResults results = StudyResults.read(out);
        StudyRecords.assertSameRecords(StudyResults.read(reference), results);
        StudyRecords.assertCleanCells(results);
        Path dir = victim.directory(out);
        assertEquals(firstStep, Files.readAttributes(dir.resolve("step-000.json"), BasicFileAttributes.class).fileKey(),
                "the retried attempt resumed after the killed one's finished step 0 instead of writing it again");
        assertNotEquals(killed, pidOf(CellLock.holder(dir)), "another executor JVM finished the cell");
    }

    private static Path waitForSpec(Path out, CompletableFuture<?> job) throws InterruptedException {
        while (!Files.exists(StudyResults.specFile(out)) && !job.isDone()) {
            Thread.sleep(50);
        }
        return out;
    }

    private static boolean isOurDescendant(ProcessHandle p) {
        return ProcessHandle.current().descendants().anyMatch(d -> d.pid() == p.pid());
    }

    private static long pidOf(String attempt) {
        Matcher m = Pattern.compile("pid (\\d+)").matcher(attempt);
        assertTrue(m.find(), "the lock file names the attempt's process: " + attempt);
        return Long.parseLong(m.group(1));
    }
}
