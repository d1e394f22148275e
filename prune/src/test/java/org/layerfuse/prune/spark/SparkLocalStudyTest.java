package org.layerfuse.prune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.loop.RunSpec;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.CellResult;
import org.layerfuse.prune.study.StudyResults;

/**
 * {@code study --spark local[2]} (the cells as Spark tasks in this JVM) on a tiny real study:
 * the same step records as the in-process runner, the same summary and report, and a failing
 * cell that names its error without stopping the others.
 */
class SparkLocalStudyTest {

    @Test
    void sparkTasksGiveTheInProcessRecords(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("in-process");
        // One ND4J thread, as each Spark task runs with (--spark-task-cpus 1): with two, the
        // reductions' order differs and the losses move in the 9th digit.
        StudyRecords.Outcome reference = StudyRecords.cli(StudyRecords.tinyStudy(plain, "--no-report", "--threads", "1"));
        assertEquals(0, reference.code(), reference.err());

        Path spark = dir.resolve("spark");
        StudyRecords.copyBaseline(plain, spark, "spam-assassin");
        StudyRecords.Outcome distributed = StudyRecords.cli(StudyRecords.tinyStudy(spark, "--spark", "local[2]"));
        assertEquals(0, distributed.code(), distributed.err());

        StudyResults expected = StudyResults.read(plain);
        StudyResults actual = StudyResults.read(spark);
        StudyRecords.assertSameRecords(expected, actual);
        StudyRecords.assertCleanCells(actual);
        assertTrue(Files.exists(spark.resolve("report").resolve("summary.json")), "the report is written");
    }

    /**
     * The graft cell's directory already holds a run with other settings (another seed), which a
     * cell finds only when it opens its directory on the executor: that cell fails, CE's finishes.
     * (A bad option would be refused before any work, so the failure is planted in the directory.)
     */
    @Test
    void aFailingCellNamesItsErrorAndTheOthersFinish(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("study");
        Path graftCell = new CellKey("spam-assassin", "graft", "weight-norm", 0).directory(out);
        Files.createDirectories(graftCell);
        RunSpec other = new RunSpec("minilm", "spam-assassin", "weight-norm", "graft", 12345, 1, 32, 16, 16, 32, 16, 32,
                "another trainer");
        new ObjectMapper().writeValue(graftCell.resolve("run.json").toFile(), other);
        StudyRecords.Outcome o = StudyRecords.cli(StudyRecords.tinyStudyOf(out, "weight-norm", "ce,graft",
                "--spark", "local[2]", "--no-report"));
        assertEquals(1, o.code(), "the study exits non-zero: " + o.err());
        StudyResults results = StudyResults.read(out);
        for (CellResult c : results.cells()) {
            if (c.key().heal().equals("ce")) {
                assertTrue(c.complete(), c.key() + " finished: " + c.error());
                assertNull(c.error());
            } else {
                assertNotNull(c.error(), c.key() + " recorded its error");
                assertTrue(c.error().contains("holds a run with other settings"), c.error());
            }
        }
    }

    @Test
    void sparkOptionsNeedSpark(@TempDir Path dir) {
        StudyRecords.Outcome o = StudyRecords.cli(List.of("study", "--spark-task-cpus", "2", "--out", dir.toString()));
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--spark-task-cpus and --spark-conf apply only with --spark"), o.err());
    }
}
