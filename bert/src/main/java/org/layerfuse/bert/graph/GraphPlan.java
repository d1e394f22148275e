package org.layerfuse.bert.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseOp;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Assign;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.GradientBackwardsMarker;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A SameDiff graph's ops for one set of requested outputs, run in a fixed order over arrays kept
 * from one call to the next: what SameDiff's session works out again at every call (which ops
 * the outputs need, in what order, when each intermediate is dead, an op context per op) is
 * worked out once, at the first call, and every intermediate array is allocated then, a dead
 * one's array handed to a later op of the same type and shape (so the plan holds about what a
 * call holds at its peak, not every intermediate). Later calls with placeholders of the same
 * shapes only set each op's arrays and execute it, through {@code Nd4j.exec} as the session does
 * (same ops, same arrays in, same bits out: tested against SameDiff's own call).
 *
 * <p>The requested outputs are not the plan's: each call gives them arrays of their own, taken
 * from what the caller gave back ({@link #recycle}) or allocated, so a caller may keep them as
 * long as it likes. Graphs with control flow, tensor arrays or other ops the session treats
 * specially are not planned ({@link #build} answers null); their calls go through SameDiff.
 */
final class GraphPlan implements AutoCloseable {

    private enum Kind { CUSTOM, LEGACY, IDENTITY, MARKER }

    private static final class Step {
        final DifferentialFunction op;
        final Kind kind;
        final String[] inputs;
        final String[] outputs;
        final OpContext context;
        /** The op's output arrays; null at an index whose output is a requested result. */
        INDArray[] planned;
        /** The shape of each output, recorded at the first call. */
        LongShapeDescriptor[] shapes;
        /** Whether a legacy reduction's second input is its axis (not an array operand). */
        boolean axisArg;

        Step(DifferentialFunction op, Kind kind, String[] inputs, String[] outputs) {
            this.op = op;
            this.kind = kind;
            this.inputs = inputs;
            this.outputs = outputs;
            this.context = kind == Kind.CUSTOM || kind == Kind.LEGACY ? Nd4j.getExecutioner().buildContext() : null;
        }
    }

    private final SameDiff sd;
    private final List<Step> steps;
    private final List<String> results;
    private final Set<String> resultSet;
    /** Results an identity op makes: the plan's own arrays under another name. */
    private final Set<String> aliasResults = new HashSet<>();
    private final Map<String, long[]> placeholderShapes;
    /** Per step: the intermediates whose last reader it is (their arrays go to later ops at the first call). */
    private final List<List<String>> deadAfter;
    private final Map<String, INDArray> values = new HashMap<>();
    private final Map<ArrayKey, ArrayDeque<INDArray>> recycled = new HashMap<>();
    /** Arrays of the plan this one replaced, offered to this plan's first call; the rest closed after it. */
    private final List<INDArray> inherited = new ArrayList<>();
    private boolean planned;
    private boolean closed;
    /** Arrays the running call allocated for its results: fresh ones and copies. */
    private int allocations;
    /** Whether the last call, a call after the first, allocated nothing. */
    private boolean allocatedNothing;

    private GraphPlan(SameDiff sd, List<Step> steps, List<String> results, Map<String, long[]> placeholderShapes) {
        this.sd = sd;
        this.steps = steps;
        this.results = List.copyOf(results);
        this.resultSet = Set.copyOf(results);
        this.placeholderShapes = placeholderShapes;
        this.deadAfter = liveness(steps, resultSet);
        for (Step s : steps) {
            if (s.kind == Kind.IDENTITY && resultSet.contains(s.outputs[0])) {
                aliasResults.add(s.outputs[0]);
            }
        }
    }

    /**
     * The plan for {@code results} of {@code sd} with these placeholders, or null where the
     * graph needs something SameDiff's session does specially (control flow and the like).
     */
    static GraphPlan build(SameDiff sd, Map<String, INDArray> placeholders, List<String> results) {
        List<String> order = new ArrayList<>();
        Set<String> visited = new HashSet<>();
        for (String r : results) {
            if (!visitVariable(sd, r, visited, order)) {
                return null;
            }
        }
        List<Step> steps = new ArrayList<>(order.size());
        for (String name : order) {
            SameDiffOp sdo = sd.getOps().get(name);
            DifferentialFunction op = sdo.getOp();
            Kind kind = kindOf(op);
            if (kind == null) {
                return null;
            }
            List<String> in = sdo.getInputsToOp() == null ? List.of() : sdo.getInputsToOp();
            String[] args = op.argNames();
            steps.add(new Step(op, kind, args == null ? in.toArray(String[]::new) : args,
                    sdo.getOutputsOfOp().toArray(String[]::new)));
        }
        Map<String, long[]> shapes = new HashMap<>();
        placeholders.forEach((k, v) -> shapes.put(k, v.shape()));
        return new GraphPlan(sd, steps, results, shapes);
    }

    private static Kind kindOf(DifferentialFunction op) {
        if (op instanceof GradientBackwardsMarker) {
            return Kind.MARKER;
        }
        if (op instanceof Identity) {
            return Kind.IDENTITY;
        }
        if (op instanceof Assign || op instanceof ExternalErrorsFunction) {
            return null;
        }
        String pkg = op.getClass().getName();
        if (pkg.contains(".controlflow.") || pkg.contains(".tensorarray.") || pkg.contains(".Invoke")
                || pkg.endsWith(".Assert") || pkg.endsWith(".CreateView")) {
            return null;
        }
        if (op instanceof CustomOp) {
            return op instanceof DynamicCustomOp ? Kind.CUSTOM : null;
        }
        if (op instanceof Op) {
            return Kind.LEGACY;
        }
        return null;
    }

    /** Post-order walk from a variable to the ops that make it; false for something unplannable. */
    private static boolean visitVariable(SameDiff sd, String name, Set<String> visited, List<String> order) {
        Variable v = sd.getVariables().get(name);
        if (v == null) {
            return false;
        }
        if (v.getControlDeps() != null) {
            for (String op : v.getControlDeps()) {
                if (!visitOp(sd, op, visited, order)) {
                    return false;
                }
            }
        }
        VariableType type = v.getVariable().getVariableType();
        if (type != VariableType.ARRAY) {
            return true;
        }
        return v.getOutputOfOp() != null && visitOp(sd, v.getOutputOfOp(), visited, order);
    }

    private static boolean visitOp(SameDiff sd, String name, Set<String> visited, List<String> order) {
        if (!visited.add(name)) {
            return true;
        }
        SameDiffOp sdo = sd.getOps().get(name);
        if (sdo == null) {
            return false;
        }
        for (List<String> names : Arrays.asList(sdo.getInputsToOp(), sdo.getControlDeps(), sdo.getVarControlDeps())) {
            if (names != null) {
                for (String in : names) {
                    if (!visitVariable(sd, in, visited, order)) {
                        return false;
                    }
                }
            }
        }
        order.add(name);
        return true;
    }

    /** For each step, the array-type variables read for the last time there (results never die). */
    private static List<List<String>> liveness(List<Step> steps, Set<String> results) {
        Map<String, String> root = new HashMap<>();
        Map<String, Integer> last = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            for (String in : s.inputs) {
                last.put(root.getOrDefault(in, in), i);
            }
            if (s.kind == Kind.IDENTITY) {
                String r = root.getOrDefault(s.inputs[0], s.inputs[0]);
                root.put(s.outputs[0], r);
                if (results.contains(s.outputs[0])) {
                    last.put(r, Integer.MAX_VALUE); // an alias of a result keeps its array alive
                }
            }
        }
        List<List<String>> dead = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            dead.add(new ArrayList<>());
        }
        Set<String> produced = new HashSet<>();
        for (Step s : steps) {
            if (s.kind != Kind.IDENTITY) {
                produced.addAll(Arrays.asList(s.outputs));
            }
        }
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s.kind != Kind.IDENTITY) {
                for (String o : s.outputs) {
                    if (!last.containsKey(o) && !results.contains(o)) {
                        last.put(o, i); // never read: its array is free right after the op
                    }
                }
            }
        }
        for (Map.Entry<String, Integer> e : last.entrySet()) {
            if (produced.contains(e.getKey()) && !results.contains(e.getKey()) && e.getValue() != Integer.MAX_VALUE) {
                dead.get(e.getValue()).add(e.getKey());
            }
        }
        return dead;
    }

    /**
     * Takes over the arrays of the plan this one replaces (for other outputs or shapes): this
     * plan's first call uses those of matching shapes, as SameDiff's array cache would, and closes
     * the rest when it ends; {@code previous} is closed. Calls that alternate between two sets of
     * outputs then reuse their arrays instead of freeing and allocating a call's worth each time.
     */
    void adopt(GraphPlan previous) {
        if (previous == null || previous == this || planned) {
            return;
        }
        for (INDArray a : previous.plannedArrays()) {
            if (!a.wasClosed() && !a.isView() && !a.isEmpty()) {
                inherited.add(a);
            }
        }
        for (Step s : previous.steps) {
            if (s.planned != null) {
                Arrays.fill(s.planned, null); // now this plan's: not closed with the old one
            }
        }
        previous.recycled.forEach((k, list) -> recycled.computeIfAbsent(k, x -> new ArrayDeque<>()).addAll(list));
        previous.recycled.clear();
        previous.close();
    }

    /** Whether these placeholders have the shapes the plan was made for. */
    boolean fits(Map<String, INDArray> placeholders, List<String> wanted) {
        if (!results.equals(wanted) || placeholders.size() != placeholderShapes.size()) {
            return false;
        }
        for (Map.Entry<String, INDArray> e : placeholders.entrySet()) {
            long[] shape = placeholderShapes.get(e.getKey());
            if (shape == null || !Arrays.equals(shape, e.getValue().shape())) {
                return false;
            }
        }
        return true;
    }

    /** Runs every op once; returns the requested outputs, in arrays the caller owns. */
    Map<String, INDArray> run(Map<String, INDArray> placeholders) {
        if (closed) {
            throw new IllegalStateException("graph plan was closed");
        }
        Map<ArrayKey, ArrayDeque<INDArray>> free = planned ? null : new HashMap<>();
        boolean steadyCall = planned;
        allocations = 0;
        allocatedNothing = false;
        if (free != null) {
            for (INDArray a : inherited) {
                offer(free, a);
            }
        }
        Map<String, INDArray> out = new LinkedHashMap<>();
        try {
            for (int i = 0; i < steps.size(); i++) {
                Step s = steps.get(i);
                PlanOpTimes.Listener timer = PlanOpTimes.listener();
                long t0 = timer != null ? System.nanoTime() : 0L;
                INDArray[] args = arguments(s, placeholders);
                switch (s.kind) {
                    case MARKER -> {
                        INDArray one = output(s, 0, () -> LongShapeDescriptor.fromShape(new long[0], DataType.FLOAT), free);
                        one.assign(1.0f);
                        values.put(s.outputs[0], one);
                    }
                    case IDENTITY -> values.put(s.outputs[0], args[0]);
                    case CUSTOM -> runCustom(s, args, free);
                    case LEGACY -> runLegacy(s, args, free);
                    default -> throw new IllegalStateException(s.kind.toString());
                }
                if (timer != null && (s.kind == Kind.CUSTOM || s.kind == Kind.LEGACY)) {
                    long dt = System.nanoTime() - t0;
                    INDArray first = values.get(s.outputs[0]);
                    timer.op(s.op.opName(), first == null ? null : first.shape(), dt);
                }
                if (free != null) {
                    for (String d : deadAfter.get(i)) {
                        INDArray a = values.get(d);
                        if (a != null && !a.isEmpty() && !a.isView()) {
                            offer(free, a);
                        }
                    }
                }
            }
            planned = true;
            closeUnused(inherited);
            for (String r : results) {
                INDArray a = values.get(r);
                if (a == null || aliasResults.contains(r)) {
                    // a variable, placeholder or alias asked for by name: a copy, so the caller
                    // owns it as it owns every other result
                    a = (a != null ? a : arrayOf(r, placeholders)).dup();
                    allocations++;
                }
                out.put(r, a);
            }
            allocatedNothing = steadyCall && allocations == 0;
            return out;
        } finally {
            for (String r : results) {
                values.remove(r);
            }
            closeRecycled();
        }
    }

    private INDArray[] arguments(Step s, Map<String, INDArray> placeholders) {
        INDArray[] args = new INDArray[s.inputs.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = arrayOf(s.inputs[i], placeholders);
            if (args[i] == null) {
                throw new IllegalStateException("graph plan: no array for '" + s.inputs[i] + "', input " + i + " of op "
                        + s.op.getOwnName());
            }
        }
        return args;
    }

    /** A variable's or constant's array, a placeholder's, or this call's value of an intermediate. */
    private INDArray arrayOf(String name, Map<String, INDArray> placeholders) {
        SDVariable v = sd.getVariable(name);
        return switch (v.getVariableType()) {
            case VARIABLE, CONSTANT -> v.getArr();
            case PLACEHOLDER -> placeholders.get(name);
            default -> values.get(name);
        };
    }

    private void runCustom(Step s, INDArray[] args, Map<ArrayKey, ArrayDeque<INDArray>> free) {
        DynamicCustomOp op = (DynamicCustomOp) s.op;
        OpContext oc = s.context;
        oc.setArgs(args, op.iArgs(), op.dArgs(), op.tArgs(), op.bArgs());
        List<LongShapeDescriptor> shapes = planned ? null : op.calculateOutputShape(oc);
        for (int i = 0; i < s.outputs.length; i++) {
            int index = i;
            INDArray a = output(s, i, () -> declared(s.outputs[index], shapes.get(index)), free);
            oc.setOutputArray(i, a);
            values.put(s.outputs[i], a);
        }
        try {
            Nd4j.exec(op, oc);
        } finally {
            op.clearArrays();
            oc.purge();
        }
    }

    private void runLegacy(Step s, INDArray[] args, Map<ArrayKey, ArrayDeque<INDArray>> free) {
        Op op = (Op) s.op;
        OpContext oc = s.context;
        if (!planned) {
            s.axisArg = op instanceof ReduceOp && ((ReduceOp) op).getOpType() != Op.Type.REDUCE3 && args.length == 2;
        }
        if (s.axisArg) {
            INDArray axis = args[1];
            if (axis.isEmpty()) {
                throw new IllegalStateException("graph plan: empty reduction axes for op " + s.op.getOwnName());
            }
            s.op.setDimensions(Shape.normalizeAxis(args[0].rank(), axis.toIntVector()));
            ((BaseReduceOp) op).setEmptyReduce(false);
        } else if (op instanceof ScalarOp && args.length == 2) {
            ((ScalarOp) op).setScalar(args[1]);
        }
        if (args.length > 0) {
            oc.setInputArray(0, args[0]);
            if (args.length == 2 && !s.axisArg) {
                oc.setInputArray(1, args[1]);
            }
        }
        INDArray z = output(s, 0, () -> {
            List<LongShapeDescriptor> shape = ((BaseOp) op).calculateOutputShape(oc);
            if (shape == null || shape.size() != 1) {
                throw new IllegalStateException("graph plan: no output shape for op " + s.op.getOwnName());
            }
            return shape.get(0);
        }, free);
        oc.setOutputArray(0, z);
        values.put(s.outputs[0], z);
        try {
            Nd4j.exec(op, oc);
        } finally {
            s.op.clearArrays();
            oc.purge();
        }
    }

    /** The shape SameDiff would allocate: the op's, in the variable's declared type. */
    private LongShapeDescriptor declared(String name, LongShapeDescriptor shape) {
        DataType declared = sd.getVariable(name).dataType();
        return declared != shape.dataType() ? shape.asDataType(declared) : shape;
    }

    /** Output {@code i} of a step: a result gets an array of its own at every call, the rest the plan's. */
    private INDArray output(Step s, int i, Supplier<LongShapeDescriptor> shapeOf,
                            Map<ArrayKey, ArrayDeque<INDArray>> free) {
        if (!planned && s.shapes == null) {
            s.shapes = new LongShapeDescriptor[s.outputs.length];
            s.planned = new INDArray[s.outputs.length];
        }
        if (!planned) {
            s.shapes[i] = shapeOf.get();
        }
        LongShapeDescriptor d = s.shapes[i];
        if (resultSet.contains(s.outputs[i])) {
            return resultArray(d);
        }
        if (planned) {
            return s.planned[i];
        }
        INDArray a = take(free, d);
        s.planned[i] = a != null ? a : PooledMemory.fresh(d);
        return s.planned[i];
    }

    private INDArray resultArray(LongShapeDescriptor d) {
        INDArray a = take(recycled, d);
        if (a == null) {
            allocations++;
            return PooledMemory.fresh(d);
        }
        return a;
    }

    /**
     * Whether the last call, a call after the first, allocated nothing: every intermediate in
     * the plan's arrays and every result in an array the caller recycled. The next call of a
     * loop that recycles its results then leaves nothing for the garbage collector to find.
     */
    boolean allocatedNothingLastCall() {
        return allocatedNothing;
    }

    /** Adds a free array to the list of its type and shape. */
    private static void offer(Map<ArrayKey, ArrayDeque<INDArray>> lists, INDArray a) {
        lists.computeIfAbsent(ArrayKey.of(a), k -> new ArrayDeque<>()).addLast(a);
    }

    /** A free array of this type and shape, or null. */
    private static INDArray take(Map<ArrayKey, ArrayDeque<INDArray>> lists, LongShapeDescriptor d) {
        ArrayDeque<INDArray> list = d.isEmpty() ? null : lists.get(ArrayKey.of(d));
        return list == null ? null : list.pollLast();
    }

    /**
     * Takes arrays a caller is done with (results of an earlier call) for the results of the
     * next call; what that call does not use is closed after it.
     */
    void recycle(INDArray a) {
        if (a == null || a.wasClosed() || closed || a.isView() || a.isEmpty() || !a.closeable()) {
            return;
        }
        ArrayDeque<INDArray> list = recycled.get(ArrayKey.of(a));
        if (list != null && list.stream().anyMatch(held -> held == a)) {
            return; // given twice: kept once, never handed out twice
        }
        offer(recycled, a);
    }

    /** Bytes of the arrays the plan holds: its intermediates and the results given back for the next call. */
    long heldBytes() {
        long bytes = 0;
        for (ArrayDeque<INDArray> list : recycled.values()) {
            for (INDArray a : list) {
                bytes += a.length() * a.dataType().width();
            }
        }
        for (INDArray a : plannedArrays()) {
            bytes += a.length() * a.dataType().width();
        }
        return bytes;
    }

    /** The intermediates' arrays, each once (a dead intermediate's array serves later ops too). */
    private Set<INDArray> plannedArrays() {
        Set<INDArray> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Step s : steps) {
            if (s.planned != null) {
                for (INDArray a : s.planned) {
                    if (a != null) {
                        arrays.add(a);
                    }
                }
            }
        }
        return arrays;
    }

    /** Closes the inherited arrays the first call did not take. */
    private void closeUnused(List<INDArray> arrays) {
        Set<INDArray> used = plannedArrays();
        for (INDArray a : arrays) {
            if (!used.contains(a) && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
        arrays.clear();
    }

    /** Bytes the intermediates would take with an array each, none shared (tests). */
    long unsharedBytes() {
        long bytes = 0;
        for (Step s : steps) {
            if (s.planned != null) {
                for (INDArray a : s.planned) {
                    if (a != null) {
                        bytes += a.length() * a.dataType().width();
                    }
                }
            }
        }
        return bytes;
    }

    private void closeRecycled() {
        for (ArrayDeque<INDArray> list : recycled.values()) {
            for (INDArray a : list) {
                if (!a.wasClosed()) {
                    a.close();
                }
            }
        }
        recycled.clear();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (INDArray a : plannedArrays()) {
            if (!a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
        for (Step s : steps) {
            if (s.context != null) {
                try {
                    s.context.close();
                } catch (Exception e) {
                    // the context's native memory goes with the garbage collector instead
                }
            }
        }
        values.clear();
        closeRecycled();
        closeUnused(inherited);
    }
}
