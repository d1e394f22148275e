package org.layerfuse.bert.graph;

import java.util.Collection;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The intermediate arrays of one graph's gradient calls, kept from one call to the next of the
 * same graph, so that a training step takes the arrays the previous step released instead of
 * allocating and freeing a few hundred megabytes (the MiniLM step at 32 × 32 tokens: ≈ 240 MB).
 *
 * <p>Why: freeing them was not enough. libnd4j allocates a small bookkeeping struct beside every
 * array's buffer, and that struct lives until the Java collector finds the array's wrapper dead,
 * long after {@code close()} freed the buffer. The next step's small structs are then carved out
 * of the freed buffers' holes, its buffers no longer fit there, and glibc's arena grows by a
 * step's worth at every step (measured on MiniLM, no collection between steps: arena 368 →
 * 2 088 MB in eight steps, in use 155 MB throughout, 1.1–1.4 s a step; a full collection before
 * every step kept it at ≈ 520 MB). Reused arrays need no new struct and no fresh pages.
 *
 * <p>What the pool keeps is bounded twice: by a quarter of ND4J's native memory limit (as
 * SameDiff's own per-call cache), and to one call's worth: arrays no call took since the
 * previous call are closed when a call ends (a batch of another shape does not leave the old
 * shape's arrays behind). {@link #close()} frees everything now; its owner calls it when the
 * graph is rebuilt or dropped. A pool serves one call at a time; a second thread calling the
 * same graph meanwhile gets a fresh, unpooled call.
 */
public final class ArrayPool implements AutoCloseable {

    private final long capacityBytes;
    private PooledMemory idle;
    /** The graph's call plan ({@link GraphPlan}), used only by the call that holds the pool. */
    private GraphPlan plan;
    /** Set once a graph turned out to need SameDiff's own session ({@link GraphPlan#build} said null). */
    private boolean unplannable;
    private boolean lent;
    private boolean closed;

    /** A pool holding at most a quarter of ND4J's native memory limit ({@code org.bytedeco.javacpp.maxbytes}). */
    public ArrayPool() {
        this(Pointer.maxBytes() > 0 ? Pointer.maxBytes() / 4 : 1L << 30);
    }

    public ArrayPool(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("array pool capacity must be >= 0 bytes, got " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    /** The memory for a call: the pooled arrays, or null while another call holds them or after {@link #close()}. */
    synchronized PooledMemory lend() {
        if (closed || lent) {
            return null;
        }
        lent = true;
        PooledMemory m = idle != null ? idle : new PooledMemory(capacityBytes);
        idle = null;
        return m;
    }

    /** Takes the memory back after a call; what that call did not use is closed. */
    synchronized void giveBack(PooledMemory memory) {
        lent = false;
        if (closed) {
            if (plan != null) {
                plan.close();
                plan = null;
            }
            memory.close();
            return;
        }
        memory.endCall();
        idle = memory;
    }

    /**
     * Gives arrays a caller is done with (e.g. the gradients of the last call, once applied) to
     * the next call, which allocates arrays of the same shapes for its outputs; closed instead
     * while a call runs or after {@link #close()}. They must not be used afterwards.
     */
    public synchronized void recycle(Collection<INDArray> arrays) {
        for (INDArray a : arrays) {
            if (plan != null && !closed && !lent) {
                plan.recycle(a);
            } else if (idle != null && !closed) {
                idle.release(a);
            } else if (a != null && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }

    /** The plan of the call holding the pool (null: none yet or unplannable). */
    GraphPlan plan() {
        return plan;
    }

    /** Whether the graph was found to need SameDiff's own session. */
    boolean unplannable() {
        return unplannable;
    }

    /**
     * Replaces the plan; the old one's arrays go to the new one's first call ({@link GraphPlan#adopt})
     * or are freed. Null: the graph cannot be planned, and later calls do not try again.
     */
    synchronized void plan(GraphPlan next) {
        if (plan != null && plan != next) {
            if (next != null) {
                next.adopt(plan); // its arrays serve the new plan's first call where shapes match
            } else {
                plan.close();
            }
        }
        plan = next; // closed with the pool at giveBack if the pool was closed meanwhile
        unplannable |= next == null;
    }

    /** Bytes of the arrays waiting for the next call. */
    public synchronized long pooledBytes() {
        return (idle == null ? 0 : idle.pooledBytes()) + (plan == null ? 0 : plan.heldBytes());
    }

    /** Closes the pooled arrays now; later calls run unpooled. */
    @Override
    public synchronized void close() {
        closed = true;
        if (plan != null && !lent) {
            plan.close();
            plan = null;
        }
        if (idle != null) {
            idle.close();
            idle = null;
        }
    }
}
