package org.layerfuse.bert.graph;

/**
 * Per-op wall time of planned graph calls (the gradient calls and every other call that runs
 * through a {@code GraphPlan} rather than SameDiff's session, whose listeners never see those
 * ops): a profiler installs a {@link Listener} with {@link #listen}, and each op a plan runs
 * reports its name, its first output's shape and its time. Off (one volatile read per op) until
 * a listener is installed; for profiling tools, not for production use: the listener runs on
 * the thread that runs the graph, inside the call.
 */
public final class PlanOpTimes {

    /** Receives one op's time. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param opName the op's libnd4j or LayerFuse name ({@code layerfuse_dense_bp}, {@code add}, …)
         * @param shape its first output's shape (empty for a scalar, null where it has none)
         * @param nanos wall time of the op, from before its arrays are set to after it ran
         */
        void op(String opName, long[] shape, long nanos);
    }

    private static volatile Listener listener;

    private PlanOpTimes() {
    }

    /** Installs {@code l} (null: none) for every plan on every thread; returns the one it replaced. */
    public static Listener listen(Listener l) {
        Listener previous = listener;
        listener = l;
        return previous;
    }

    static Listener listener() {
        return listener;
    }
}
