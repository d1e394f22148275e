package org.layerfuse.weights.onnx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.layerfuse.bert.Activation;

/**
 * The settings a BERT export bakes into its graph rather than its tensors: the number of
 * attention heads, the FFN activation, the layer-norm ε and the additive attention-mask value.
 * Each is read wherever the graph shows it and must agree across layers, so an export that
 * mixes forms is refused instead of half-matched.
 */
final class OnnxBertNumerics {

    /** The ops that pass a mask through unchanged in value (as seen between the mask constant and the scores). */
    private static final Set<String> PASS_THROUGH = Set.of("Cast", "Unsqueeze", "Expand", "Reshape", "Squeeze",
            "Identity");
    /** Steps a backward walk takes before it gives up: a GELU is a handful of nodes. */
    private static final int WALK_LIMIT = 200;

    /** One layer's FFN: the value after the intermediate projection and the input of the output projection. */
    record Ffn(int layer, String intermediateOutput, String outputInput) {
    }

    private final OnnxModel model;

    OnnxBertNumerics(OnnxModel model) {
        this.model = model;
    }

    /**
     * Heads h = H / d: d from the attention-score scale (scores / √d or scores · 1/√d before the
     * Softmax), h from the head-split Reshape to {@code [batch, seq, h, d]}; every one found must agree.
     */
    int numHeads(int hidden) {
        Set<Integer> fromScale = new TreeSet<>();
        for (OnnxNode softmax : nodes("Softmax")) {
            Optional<OnnxNode> add = producer(softmax.input(0), "Add");
            for (String scores : add.map(OnnxNode::inputs).orElse(List.of(softmax.input(0)))) {
                Optional<Integer> d = scaledHeadSize(scores);
                if (d.isPresent() && hidden % d.get() != 0) {
                    throw error("the attention scores are scaled by 1/√" + d.get() + " but hidden size " + hidden
                            + " is not a multiple of " + d.get());
                }
                d.ifPresent(size -> fromScale.add(hidden / size));
            }
        }
        Set<Integer> fromReshape = new TreeSet<>();
        for (OnnxNode reshape : nodes("Reshape")) {
            long[] shape = reshapeTarget(reshape.input(1));
            if (shape != null && shape.length == 4 && shape[2] > 0 && shape[3] > 0 && shape[2] * shape[3] == hidden) {
                fromReshape.add((int) shape[2]);
            }
        }
        Set<Integer> all = new TreeSet<>(fromScale);
        all.addAll(fromReshape);
        if (all.size() != 1) {
            throw error(all.isEmpty()
                    ? "cannot find the number of attention heads: expected a Softmax over scores divided by √d"
                    + " (or multiplied by 1/√d), or a Reshape to [batch, seq, heads, d]"
                    : "the attention heads disagree: " + fromScale + " from the score scale, " + fromReshape
                    + " from the head-split Reshape");
        }
        return all.iterator().next();
    }

    /** d if {@code value} is Div(x, √d) or Mul(x, 1/√d) with a scalar constant. */
    private Optional<Integer> scaledHeadSize(String value) {
        Optional<OnnxNode> p = model.producer(value).filter(n -> Set.of("Div", "Mul").contains(n.opType()));
        if (p.isEmpty()) {
            return Optional.empty();
        }
        for (String in : p.get().inputs()) {
            Optional<Double> s = scalarConstant(in);
            if (s.isPresent()) {
                double d = p.get().opType().equals("Div") ? s.get() * s.get() : 1 / (s.get() * s.get());
                long rounded = Math.round(d);
                if (rounded >= 1 && Math.abs(d - rounded) < 1e-3 * rounded) {
                    return Optional.of((int) rounded);
                }
            }
        }
        return Optional.empty();
    }

    /** A Reshape's target shape: a constant, or a Concat of one-value constants (−1 for the computed parts). */
    private long[] reshapeTarget(String value) {
        Optional<OnnxTensor> c = model.constant(value)
                .filter(t -> t.type() == OnnxDataType.INT64 || t.type() == OnnxDataType.INT32);
        if (c.isPresent()) {
            return c.get().longs();
        }
        Optional<OnnxNode> concat = producer(value, "Concat");
        if (concat.isEmpty()) {
            return null;
        }
        long[] shape = new long[concat.get().inputs().size()];
        for (int k = 0; k < shape.length; k++) {
            shape[k] = scalarConstant(concat.get().input(k)).map(Double::longValue).orElse(-1L);
        }
        return shape;
    }

    /** The FFN activation, from the ops between each layer's intermediate and output projections. */
    Activation activation(List<Ffn> ffns) {
        Set<Activation> found = new LinkedHashSet<>();
        for (Ffn f : ffns) {
            found.add(activationOf(f.layer(), opsBetween(f.intermediateOutput(), f.outputInput())));
        }
        if (found.size() != 1) {
            throw error("the FFN activations of the layers differ: " + found);
        }
        return found.iterator().next();
    }

    private Activation activationOf(int layer, Set<String> ops) {
        if (ops.contains("Erf") || ops.contains("Gelu") || ops.contains("BiasGelu")) {
            return Activation.GELU_ERF;
        }
        if (ops.contains("Tanh") || ops.contains("FastGelu")) {
            return Activation.GELU_TANH;
        }
        if (ops.contains("Relu")) {
            return Activation.RELU;
        }
        throw error("cannot tell the FFN activation of layer " + layer + " from the ops " + ops
                + "; expected Erf (GELU), Tanh (GELU, tanh form) or Relu");
    }

    /**
     * Op types on the paths from {@code from} to {@code to}, walking back from {@code to} along
     * data inputs (not the shape operand of a Reshape or Expand, which leads elsewhere).
     */
    private Set<String> opsBetween(String from, String to) {
        Set<String> ops = new TreeSet<>();
        Deque<String> pending = new ArrayDeque<>(List.of(to));
        Set<String> seen = new HashSet<>();
        boolean reached = false;
        while (!pending.isEmpty() && seen.size() < WALK_LIMIT) {
            String v = pending.pop();
            if (v.equals(from)) {
                reached = true;
                continue;
            }
            if (!seen.add(v)) {
                continue;
            }
            model.producer(v).ifPresent(n -> {
                ops.add(n.opType());
                if (n.opType().equals("Reshape") || n.opType().equals("Expand")) {
                    pending.add(n.input(0));
                } else {
                    pending.addAll(n.inputs());
                }
            });
        }
        if (!reached || seen.size() >= WALK_LIMIT) {
            throw error("cannot follow the FFN from '" + from + "' to '" + to + "' within " + WALK_LIMIT + " values");
        }
        return ops;
    }

    /** ε of every layer norm: LayerNormalization's attribute, or c in Sqrt(ReduceMean(..) + c). */
    double layerNormEps() {
        Set<Float> eps = new TreeSet<>();
        for (OnnxNode ln : nodes("LayerNormalization")) {
            eps.add(ln.attribute("epsilon").map(OnnxAttribute::f).orElse(1e-5f)); // the ONNX default
        }
        for (OnnxNode sqrt : nodes("Sqrt")) {
            Optional<OnnxNode> add = producer(sqrt.input(0), "Add");
            if (add.isPresent() && add.get().inputs().stream().anyMatch(in -> producer(in, "ReduceMean").isPresent())) {
                for (String in : add.get().inputs()) {
                    scalarConstant(in).ifPresent(c -> eps.add(c.floatValue()));
                }
            }
        }
        if (eps.size() != 1) {
            throw error(eps.isEmpty()
                    ? "cannot find the layer-norm epsilon: expected LayerNormalization nodes, or Sqrt(ReduceMean(..)"
                    + " + epsilon)"
                    : "the layer norms use different epsilons " + eps);
        }
        // Float.toString gives the shortest decimal of the float: 1e-12 rather than 9.99999996e-13.
        return Double.parseDouble(Float.toString(eps.iterator().next()));
    }

    /** The additive score for padded keys: c in Softmax(scores + (1 − mask)·c), or Where's non-zero fill value. */
    double maskValue() {
        Set<Double> values = new TreeSet<>();
        for (OnnxNode softmax : nodes("Softmax")) {
            producer(softmax.input(0), "Add").ifPresent(add -> {
                for (String in : add.inputs()) {
                    if (scaledHeadSize(in).isEmpty()) {
                        maskConstant(in).ifPresent(values::add);
                    }
                }
            });
        }
        if (values.size() != 1) {
            throw error(values.isEmpty()
                    ? "cannot find the attention-mask value: expected Softmax(scores + (1 − mask)·c) with a"
                    + " constant c"
                    : "the attention layers use different mask values " + values);
        }
        return values.iterator().next();
    }

    private Optional<Double> maskConstant(String value) {
        Optional<OnnxNode> p = model.producer(value);
        for (int steps = 0; p.isPresent() && steps < 10; steps++) {
            OnnxNode n = p.get();
            if (n.opType().equals("Mul") || n.opType().equals("Where")) {
                return n.inputs().stream().map(this::scalarConstant).flatMap(Optional::stream).filter(c -> c != 0)
                        .findFirst();
            }
            if (!PASS_THROUGH.contains(n.opType())) {
                return Optional.empty();
            }
            p = model.producer(n.input(0));
        }
        return Optional.empty();
    }

    /** The value of a one-element numeric constant. */
    private Optional<Double> scalarConstant(String value) {
        return model.constant(value).filter(t -> t.elementCount() == 1
                        && Set.of(OnnxDataType.FLOAT, OnnxDataType.DOUBLE, OnnxDataType.INT64, OnnxDataType.INT32)
                        .contains(t.type()))
                .map(OnnxTensor::scalar);
    }

    private Optional<OnnxNode> producer(String value, String opType) {
        return model.producer(value).filter(n -> n.opType().equals(opType));
    }

    private List<OnnxNode> nodes(String opType) {
        return model.nodes().stream().filter(n -> n.opType().equals(opType)).toList();
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(model.source() + ": " + message);
    }
}
