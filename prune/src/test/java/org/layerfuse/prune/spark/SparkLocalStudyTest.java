package org.layerfuse.prune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
        StudyRecords.Outcome reference = StudyRecords.cli(StudyRecords.tinyStudy(plain, "--no-report"));
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

    /** Grafting with more calibration examples than training examples fails in every graft cell, not in CE's. */
    @Test
    void aFailingCellNamesItsErrorAndTheOthersFinish(@TempDir Path dir) {
        Path out = dir.resolve("study");
        StudyRecords.Outcome o = StudyRecords.cli(StudyRecords.tinyStudyOf(out, "weight-norm", "ce,graft",
                "--graft-calibration", "1000", "--spark", "local[2]", "--no-report"));
        assertEquals(1, o.code(), "the study exits non-zero: " + o.err());
        StudyResults results = StudyResults.read(out);
        for (CellResult c : results.cells()) {
            if (c.key().heal().equals("ce")) {
                assertTrue(c.complete(), c.key() + " finished: " + c.error());
                assertNull(c.error());
            } else {
                assertNotNull(c.error(), c.key() + " recorded its error");
                assertTrue(c.error().contains("--graft-calibration 1000"), c.error());
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
