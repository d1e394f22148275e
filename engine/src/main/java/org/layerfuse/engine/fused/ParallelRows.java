package org.layerfuse.engine.fused;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Splits a range of rows into one contiguous block per core and runs the blocks at once: the
 * caller's thread takes the first, a small shared pool of daemon threads the rest. Element-wise
 * passes over a forward's activations are memory- and FMA-bound, and on a 2-core machine one
 * thread leaves half the machine idle between matrix products (which use every core).
 * The common pool is not used: on 2 cores its parallelism is 1.
 */
public final class ParallelRows {

    /** The body of a parallel loop: rows [from, to). */
    @FunctionalInterface
    public interface Block {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("layerfuse.fused.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS - 1), pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setDaemon(true);
        t.setName("layerfuse-rows-" + t.getPoolIndex());
        return t;
    }, null, false);

    private ParallelRows() {
    }

    /** Threads a loop may use ({@code -Dlayerfuse.fused.threads}, default: the logical cores). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, rows) in at most {@link #threads()} blocks of at least
     * {@code minRows} rows each (fewer blocks when the range is small: forking costs microseconds).
     */
    public static void run(int rows, int minRows, Block body) {
        int blocks = Math.min(THREADS, rows / Math.max(1, minRows));
        if (blocks <= 1) {
            body.run(0, rows);
            return;
        }
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[blocks - 1];
        for (int b = 1; b < blocks; b++) {
            int from = (int) ((long) rows * b / blocks);
            int to = (int) ((long) rows * (b + 1) / blocks);
            forked[b - 1] = POOL.submit(() -> body.run(from, to));
        }
        Throwable failure = null;
        try {
            body.run(0, (int) ((long) rows / blocks));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> task : forked) {
            try {
                task.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
    }
}
