package org.layerfuse.prune.spark;

import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.CellOutcome;

/**
 * The Spark task of one cell, run on an executor: builds (once per JVM) the study from the
 * driver's command line and runs the cell, which resumes from the cell's last finished step
 * and waits for any other attempt at the same cell to let go of it first. A cell that fails
 * returns its error rather than throwing, so Spark does not retry a deterministic failure or
 * abort the other cells; only a lost executor makes Spark run the task again.
 */
final class CellTask implements Function<CellTask.Cell, CellOutcome> {

    private static final long serialVersionUID = 1L;

    /** A cell as shipped to an executor. */
    record Cell(String dataset, String heal, String strategy, int repeat) implements Serializable {
        static Cell of(CellKey key) {
            return new Cell(key.dataset(), key.heal(), key.strategy(), key.repeat());
        }

        CellKey key() {
            return new CellKey(dataset, heal, strategy, repeat);
        }
    }

    private final List<String> studyArguments;
    private final int threads;

    CellTask(List<String> studyArguments, int threads) {
        this.studyArguments = List.copyOf(studyArguments);
        this.threads = threads;
    }

    @Override
    public CellOutcome call(Cell cell) {
        return ExecutorStudy.of(studyArguments, threads).runCell(cell.key(), attemptId());
    }

    /** Which task attempt on which executor, host and process: written into the cell's lock file while it runs. */
    static String attemptId() {
        TaskContext t = TaskContext.get();
        String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        return String.format(Locale.ROOT, "stage %d task %d attempt %d, executor %s, %s pid %d",
                t == null ? -1 : t.stageId(), t == null ? -1 : t.partitionId(), t == null ? -1 : t.attemptNumber(),
                executor, ManagementFactory.getRuntimeMXBean().getName().replaceFirst("^\\d+@", ""),
                ProcessHandle.current().pid());
    }
}
