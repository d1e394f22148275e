package org.layerfuse.prune.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Files a pruning run writes behind its computation: a step's checkpoint (model file, then step
 * record) and its healed state for the step cache are written by one background thread while
 * the next step computes its signals, ΔA and test evaluations, which only read the model. The
 * writes read the parameters' own buffers (no copy), so whatever changes parameters first
 * waits for them ({@link #await}): the next heal, a restore from the step cache, the end of the
 * run. Writes run one at a time in submission order, so a step's record still lands after its
 * model file, and each file is still written under a temporary name and moved into place.
 */
final class WriteBehind implements AutoCloseable {

    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "layerfuse-writer");
        t.setDaemon(true);
        return t;
    });
    private final List<Future<?>> pending = new ArrayList<>();

    /** Queues {@code write}; its failure is thrown by the next {@link #await}. */
    void submit(Runnable write) {
        pending.add(writer.submit(write));
    }

    /**
     * Waits until every queued write is done; then throws the first one's failure, if any, as
     * the write would have thrown it in the caller's thread.
     */
    void await() {
        Throwable failure = null;
        boolean interrupted = false;
        for (Future<?> f : pending) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the write reads the model: it must end before the caller goes on
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        pending.clear();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("a background write failed: " + failure, failure);
        }
    }

    /** {@link #await}, then stops the thread. */
    @Override
    public void close() {
        try {
            await();
        } finally {
            writer.shutdown();
        }
    }
}
