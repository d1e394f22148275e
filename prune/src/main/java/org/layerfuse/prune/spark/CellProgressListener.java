package org.layerfuse.prune.spark;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.layerfuse.prune.study.CellKey;

/**
 * The driver's view of the cells' tasks: which executor starts which cell, cells finished of
 * the total with an estimate of the time left, and attempts that were lost (their executor
 * died: Spark runs the cell again, and it resumes from its last finished step). Task i is
 * cell i of the list the job was given (one partition per cell).
 */
final class CellProgressListener extends SparkListener {

    private final List<CellKey> cells;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final Set<Integer> finished = new HashSet<>();

    CellProgressListener(List<CellKey> cells, PrintStream out) {
        this.cells = List.copyOf(cells);
        this.out = out;
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart event) {
        TaskInfo t = event.taskInfo();
        out.printf(Locale.ROOT, "[spark] cell %s started on executor %s (%s)%s%n", cell(t), t.executorId(), t.host(),
                t.attemptNumber() > 0 ? ", attempt " + (t.attemptNumber() + 1) : t.speculative() ? ", speculative copy" : "");
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        TaskInfo t = event.taskInfo();
        synchronized (finished) {
            if (t.successful()) {
                finished.add(t.index());
                int done = finished.size();
                double elapsed = (System.nanoTime() - start) / 1e9;
                double left = elapsed / done * (cells.size() - done);
                out.printf(Locale.ROOT, "[spark] %d/%d cells done: %s on executor %s in %.1f s; elapsed %s, ETA %s%n", done,
                        cells.size(), cell(t), t.executorId(), t.duration() / 1e3, clock(elapsed),
                        done == cells.size() ? "-" : clock(left));
            } else {
                out.printf(Locale.ROOT, "[spark] cell %s: attempt %d on executor %s did not finish (%s)%s%n", cell(t),
                        t.attemptNumber() + 1, t.executorId(), event.reason(),
                        t.killed() ? "" : "; Spark runs it again and it resumes from its last finished step");
            }
        }
    }

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded event) {
        out.printf(Locale.ROOT, "[spark] executor %s on %s, %d cores%n", event.executorId(),
                event.executorInfo().executorHost(), event.executorInfo().totalCores());
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved event) {
        out.printf(Locale.ROOT, "[spark] executor %s lost: %s%n", event.executorId(), event.reason());
    }

    private String cell(TaskInfo t) {
        int i = t.index();
        return i >= 0 && i < cells.size() ? cells.get(i).toString() : "task " + i;
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
