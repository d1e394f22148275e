package org.layerfuse.bert.graph;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.layerfuse.engine.NativeMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient calls on a SameDiff graph, the way every graph of LayerFuse makes them.
 *
 * <p>SameDiff M2.1's {@code calculateGradientsAndOutputs} switches its gradient function's
 * array release off on every call ({@code setEnableCache(false)}), so a call keeps every
 * intermediate array of the forward and backward pass alive until it returns (measured on
 * BERT-base at 32 × 32 tokens: 1376 arrays, 5.7 GB, 6 released) and its session then holds
 * them until the next call. Here the gradient function is run directly with release on: an
 * intermediate goes back to the session's array cache as soon as its last consumer has run,
 * and later ops of the same call reuse it (same outputs and gradients, bit for bit: tested).
 * After the call the session is closed, with what it still holds besides its cache
 * ({@link SessionLeftovers}), so nothing of the call outlives it but what it returns, and the
 * cache too, unless the caller gives an {@link ArrayPool}: then the released arrays wait there
 * for the graph's next call.
 *
 * <p>With a pool, a call does not go through SameDiff's session at all unless the graph needs
 * it: the pool keeps a {@link GraphPlan} (the ops in order, an op context each, the intermediates'
 * arrays), made at the first call for these outputs and placeholder shapes, and each later call
 * only executes the ops (MiniLM, 32 × 32 tokens: the session's own work was ≈ 20 ms of a
 * ≈ 300 ms gradient call).
 */
public final class GradientCalls {

    /** SameDiff's name of a graph's gradient function. */
    private static final String GRADIENT_FUNCTION = "grad";
    /** {@code -Dlayerfuse.graphPlan=false}: pooled calls go through SameDiff's session as unpooled ones do. */
    private static volatile boolean plans = !"false".equalsIgnoreCase(System.getProperty("layerfuse.graphPlan"));

    /**
     * Collects dead arrays before a call ({@link NativeMemory}): argument true where the plan's
     * last call allocated nothing, so that only grown malloc'd or resident memory calls for a
     * collection.
     */
    static volatile Consumer<Boolean> reclaimer = quiet -> {
        if (quiet) {
            NativeMemory.reclaimIfGrown();
        } else {
            NativeMemory.reclaim();
        }
    };

    private GradientCalls() {
    }

    /** Whether pooled calls run through a {@link GraphPlan} (tests and benchmarks compare both ways). */
    public static void usePlans(boolean on) {
        plans = on;
    }

    /**
     * Outputs and gradients. The first call builds SameDiff's gradient graph; M2.1 prints a line
     * per differentiated op to standard output while doing so, which would bury a user's
     * console under hundreds of lines, so standard output is muted for that step only. Dead
     * arrays of earlier calls are collected first ({@link NativeMemory#reclaim()}), so this call
     * reuses their memory instead of faulting in fresh pages; before a planned call whose last
     * call allocated nothing (a steady training loop that recycles its results), only once
     * malloc'd or resident memory has grown ({@link NativeMemory#reclaimIfGrown()}).
     */
    public static OutAndGrad outputsAndGradients(SameDiff sd, Map<String, INDArray> placeholders, List<String> outputs,
                                                 List<String> wrt) {
        return outputsAndGradients(sd, placeholders, outputs, wrt, null);
    }

    /**
     * As {@link #outputsAndGradients(SameDiff, Map, List, List)}, the call's intermediate arrays
     * taken from and left in {@code pool} (null: none), which must belong to {@code sd} alone.
     */
    public static OutAndGrad outputsAndGradients(SameDiff sd, Map<String, INDArray> placeholders, List<String> outputs,
                                                 List<String> wrt, ArrayPool pool) {
        SameDiff gradientFunction = gradientFunction(sd);
        List<String> names = new ArrayList<>(outputs);
        Map<String, String> gradientNames = new LinkedHashMap<>();
        for (String v : wrt) {
            SDVariable gradient = sd.getVariable(v).getGradient();
            if (gradient == null) {
                throw new IllegalArgumentException("variable '" + v + "' has no gradient: it does not affect the loss");
            }
            gradientNames.put(v, gradient.name());
            names.add(gradient.name());
        }
        List<String> wanted = names.stream().distinct().toList();
        Map<String, INDArray> values = Map.of();
        gradientFunction.setEnableCache(true);
        PooledMemory memory = pool == null ? null : pool.lend();
        try {
            GraphPlan plan = memory == null || !plans || pool.unplannable() ? null
                    : planFor(pool, gradientFunction, placeholders, wanted);
            reclaimer.accept(plan != null && plan.allocatedNothingLastCall());
            if (plan != null) {
                values = plan.run(placeholders);
                return split(values, outputs, gradientNames);
            }
            if (memory != null) {
                InferenceSession session = new InferenceSession(gradientFunction);
                session.getMmgr().close();
                session.setMmgr(memory);
                InferenceSession previous = gradientFunction.getSessions().put(Thread.currentThread().getId(), session);
                if (previous != null && previous.getMmgr() != null) {
                    previous.getMmgr().close();
                }
            }
            values = gradientFunction.output(placeholders, wanted.toArray(String[]::new));
        } finally {
            List<INDArray> kept = new ArrayList<>(values.values());
            kept.addAll(placeholders.values());
            if (memory != null) {
                kept.addAll(memory.pooled());
            }
            closeSession(gradientFunction, List.of(sd, gradientFunction), kept, memory == null);
            if (memory != null) {
                pool.giveBack(memory);
            }
        }
        return split(values, outputs, gradientNames);
    }

    private static OutAndGrad split(Map<String, INDArray> values, List<String> outputs,
                                    Map<String, String> gradientNames) {
        Map<String, INDArray> outs = new LinkedHashMap<>();
        for (String o : outputs) {
            outs.put(o, values.get(o));
        }
        Map<String, INDArray> grads = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : gradientNames.entrySet()) {
            grads.put(e.getKey(), values.get(e.getValue()));
        }
        return new OutAndGrad(outs, grads);
    }

    /** The pool's plan for these outputs and placeholder shapes, made (and the old one freed) if it has none. */
    private static GraphPlan planFor(ArrayPool pool, SameDiff gradientFunction, Map<String, INDArray> placeholders,
                                     List<String> wanted) {
        GraphPlan plan = pool.plan();
        if (plan != null && plan.fits(placeholders, wanted)) {
            return plan;
        }
        plan = GraphPlan.build(gradientFunction, placeholders, wanted);
        pool.plan(plan);
        return plan;
    }

    /**
     * Ends this thread's session of {@code sd}: the arrays its cache holds are closed at once
     * (not left to the garbage collector) and the next call starts a fresh session. Arrays the
     * call returned are not in the cache and stay valid.
     */
    public static void closeSession(SameDiff sd) {
        InferenceSession session = sd.getSessions().remove(Thread.currentThread().getId());
        if (session != null && session.getMmgr() != null) {
            session.getMmgr().close();
        }
    }

    /**
     * {@link #closeSession(SameDiff)}, and then the arrays and op contexts the session still
     * holds ({@link SessionLeftovers}), keeping the buffers of {@code kept} and of the variables
     * and constants of {@code graphs}.
     */
    static void closeSession(SameDiff sd, List<SameDiff> graphs, List<INDArray> kept) {
        closeSession(sd, graphs, kept, true);
    }

    /** As above; with {@code closeMemory} false the session's memory manager is left open (a pool's). */
    private static void closeSession(SameDiff sd, List<SameDiff> graphs, List<INDArray> kept, boolean closeMemory) {
        InferenceSession session = sd.getSessions().get(Thread.currentThread().getId());
        Runnable leftovers = session == null ? () -> { } : SessionLeftovers.of(session, graphs, kept);
        if (closeMemory) {
            closeSession(sd);
        } else {
            sd.getSessions().remove(Thread.currentThread().getId());
        }
        leftovers.run();
    }

    private static SameDiff gradientFunction(SameDiff sd) {
        SameDiff existing = sd.getFunction(GRADIENT_FUNCTION);
        if (existing != null) {
            return existing;
        }
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(stdout);
        }
        return sd.getFunction(GRADIENT_FUNCTION);
    }
}
