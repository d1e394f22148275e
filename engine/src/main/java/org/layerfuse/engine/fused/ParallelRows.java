package org.layerfuse.engine.fused;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a range of rows on every core: the caller's thread and a small shared pool of daemon
 * threads. {@link #run} gives each thread one fixed contiguous block (for bodies that sum per
 * block); {@link #each} hands out smaller chunks in turn (for bodies whose rows are independent),
 * so a pool thread that wakes late costs little. Element-wise passes over a forward's
 * activations are memory- and FMA-bound, and on a 2-core machine one thread leaves half the
 * machine idle between matrix products (which use every core). The common pool is not used: on
 * 2 cores its parallelism is 1.
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

    /** Chunks per thread of {@link #each}: enough to even out a late start, few enough to stay cheap. */
    static final int CHUNKS_PER_THREAD = 8;
    /** Longest the caller spins on a forked block before it blocks. */
    private static final long SPIN_NANOS = 1_000_000;

    private ParallelRows() {
    }

    /** Threads a loop may use ({@code -Dlayerfuse.fused.threads}, default: the logical cores). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, rows) in at most {@link #threads()} blocks of at least
     * {@code minRows} rows each (fewer blocks when the range is small: forking costs microseconds).
     * The blocks are fixed by the arguments alone, so a body that sums per block gives the same
     * bits every run.
     */
    public static void run(int rows, int minRows, Block body) {
        int blocks = Math.min(THREADS, rows / Math.max(1, minRows));
        if (blocks <= 1) {
            body.run(0, rows);
            return;
        }
        if (Team.leading()) { // the team's partners are spinning for work: no pool thread to wake
            Team.run(blocks, b -> body.run((int) ((long) rows * b / blocks), (int) ((long) rows * (b + 1) / blocks)));
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
        finish(forked, null, failure);
    }

    /**
     * Runs {@code body} over [0, rows) for a body whose rows are independent (each row's result
     * does not depend on which rows share a call): the range is cut into up to
     * {@value #CHUNKS_PER_THREAD} chunks per thread of at least {@code minRows} rows, and the
     * caller's thread and the pool's take chunks in turn until none are left. On a virtual
     * machine a parked pool thread took ≈ 80 µs to wake (2 ms of a MiniLM forward's 25 loops,
     * and the caller then waited for the late thread's fixed half); here the caller starts at
     * once, a late thread takes what is left, and a thread that has not started by the end is
     * not waited for (it finds its block claimed and does nothing).
     */
    public static void each(int rows, int minRows, Block body) {
        int most = rows / Math.max(1, minRows);
        int blocks = Math.min(THREADS, most);
        if (blocks <= 1) {
            body.run(0, rows);
            return;
        }
        int chunks = Math.min(most, blocks * CHUNKS_PER_THREAD);
        if (Team.leading()) {
            Team.run(chunks, c -> body.run((int) ((long) rows * c / chunks), (int) ((long) rows * (c + 1) / chunks)));
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable take = () -> {
            try {
                for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                    body.run((int) ((long) rows * c / chunks), (int) ((long) rows * (c + 1) / chunks));
                }
            } catch (RuntimeException | Error e) {
                next.set(chunks); // the other threads stop at their next chunk
                throw e;
            }
        };
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[blocks - 1];
        AtomicBoolean[] claimed = new AtomicBoolean[blocks - 1];
        for (int b = 0; b < blocks - 1; b++) {
            AtomicBoolean mine = claimed[b] = new AtomicBoolean();
            forked[b] = POOL.submit(() -> {
                if (mine.compareAndSet(false, true)) {
                    take.run();
                }
            });
        }
        Throwable failure = null;
        try {
            take.run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        finish(forked, claimed, failure);
    }

    /**
     * Waits for the forked blocks, first spinning (a block ends within a chunk's time, and a
     * parked caller would take as long to wake as the pool thread did), then blocking. A block
     * whose claim the caller wins has not started and never will do any work: it is not waited
     * for. Rethrows the first failure with the others suppressed.
     */
    private static void finish(ForkJoinTask<?>[] forked, AtomicBoolean[] claimed, Throwable first) {
        Throwable failure = first;
        for (int b = 0; b < forked.length; b++) {
            ForkJoinTask<?> task = forked[b];
            if (claimed != null && claimed[b].compareAndSet(false, true)) {
                continue;
            }
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (!task.isDone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
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
