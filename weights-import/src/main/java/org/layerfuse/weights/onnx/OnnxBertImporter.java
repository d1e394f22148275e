package org.layerfuse.weights.onnx;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.Tensor;

/**
 * Maps a Hugging Face BERT exported to ONNX onto LayerFuse's {@link BertWeights}.
 *
 * <p>Embeddings, biases and layer norms keep their Hugging Face names in an export
 * ({@code [bert.]encoder.layer.0.attention.self.query.bias}). Weight matrices are either
 * anonymous {@code onnx::MatMul_N} initializers already in {@code [in, out]} layout (constant
 * folding), or named {@code …weight} initializers in PyTorch's {@code [out, in]} layout read
 * through a {@code Transpose} or a {@code Gemm} with {@code transB = 1}. Each matrix is therefore
 * found from the graph: the {@code MatMul}/{@code Gemm} that consumes it tells its layout, and
 * the named bias added to that product tells which parameter it is — never the number in an
 * anonymous name.
 *
 * <p>The {@link BertConfig} is derived from the model itself: sizes from tensor shapes, the
 * number of heads from the attention-score scale 1/√d (and the head-split {@code Reshape}
 * constant, where present; both must agree), the FFN activation from the ops between the
 * intermediate and output projections ({@code Erf} → exact GELU, {@code Tanh} → tanh form),
 * the layer-norm ε from {@code LayerNormalization} or the constant added under {@code Sqrt},
 * and the attention-mask value from the constant that scales (1 − mask).
 */
public final class OnnxBertImporter {

    private static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";
    private static final List<String> PREFIXES = List.of("", "bert.");
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.(.+)");
    private static final Set<String> PASS_THROUGH = Set.of("Cast", "Unsqueeze", "Expand", "Reshape", "Squeeze",
            "Identity");

    /**
     * Where one of our parameters came from.
     *
     * @param initializer the ONNX initializer's name
     * @param node        the node that reads it as a weight matrix (MatMul or Gemm), "" for other tensors
     * @param transposed  whether the initializer was transposed to our {@code [in, out]} layout
     */
    public record Origin(String initializer, String node, boolean transposed) {
    }

    /**
     * A mapped model.
     *
     * @param origins initializer of each parameter, by our name
     * @param ignored initializers that are not BERT encoder parameters (e.g. {@code position_ids})
     */
    public record Import(BertWeights weights, Map<String, Origin> origins, List<String> ignored) {
    }

    /** A linear layer found in the graph: its weight initializer and where its (biased) output goes. */
    private record Linear(String module, OnnxNode node, Origin origin, OnnxTensor weight, String output) {
    }

    private final OnnxModel model;
    private final String source;
    private String prefix;

    private OnnxBertImporter(OnnxModel model) {
        this.model = model;
        this.source = model.source();
    }

    /** Reads and maps a {@code .onnx} file. */
    public static BertWeights load(Path file) {
        return map(OnnxModelReader.read(file)).weights();
    }

    /** Maps a model read by {@link OnnxModelReader}; the whole model or an error, never part of one. */
    public static Import map(OnnxModel model) {
        return new OnnxBertImporter(model).run();
    }

    private Import run() {
        prefix = findPrefix();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Origin> origins = new LinkedHashMap<>();
        Map<String, OnnxTensor> fromOnnx = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();

        List<Linear> linears = findLinears();
        for (Linear lin : linears) {
            String kernel = ourKernelName(lin.module);
            if (kernel == null) {
                continue; // a head this importer does not map (e.g. a masked-LM transform)
            }
            put(kernel, lin.weight, lin.origin, fromOnnx, origins);
            used.add(lin.weight.name());
        }
        for (OnnxTensor t : model.initializers().values()) {
            String ours = ourName(t.name());
            if (ours != null) {
                put(ours, t, new Origin(t.name(), "", false), fromOnnx, origins);
                used.add(t.name());
            }
        }

        BertConfig shapes = configFromShapes(fromOnnx);
        checkShapes(shapes, fromOnnx, origins);
        for (Map.Entry<String, OnnxTensor> e : fromOnnx.entrySet()) {
            Tensor t = new Tensor(e.getValue().dims(), e.getValue().floats());
            tensors.put(e.getKey(), origins.get(e.getKey()).transposed() ? t.transpose() : t);
        }
        BertWeights.validated(shapes, tensors, source); // every parameter present before the graph is read

        BertConfig config = config(shapes.vocabSize(), shapes.hiddenSize(), shapes.numHiddenLayers(),
                numHeads(shapes.hiddenSize()), shapes.intermediateSize(), activation(linears),
                shapes.maxPositionEmbeddings(), shapes.typeVocabSize(), layerNormEps(), maskValue(), shapes.labels());
        List<String> ignored = model.initializers().keySet().stream().filter(n -> !used.contains(n)).toList();
        return new Import(BertWeights.validated(config, tensors, source), origins, ignored);
    }

    private void put(String ours, OnnxTensor t, Origin origin, Map<String, OnnxTensor> fromOnnx,
                     Map<String, Origin> origins) {
        Origin before = origins.get(ours);
        if (before != null && !before.initializer().equals(t.name())) {
            throw error("initializers '" + before.initializer() + "' and '" + t.name() + "' both map to " + ours);
        }
        if (t.type() != OnnxDataType.FLOAT) {
            throw error("initializer '" + t.name() + "' (" + ours + ") has data type " + t.type()
                    + ", expected FLOAT");
        }
        fromOnnx.put(ours, t);
        origins.put(ours, origin);
    }

    // ---- names ----

    private String findPrefix() {
        for (String p : PREFIXES) {
            if (model.initializers().containsKey(p + WORD_EMBEDDINGS)) {
                return p;
            }
        }
        List<String> names = new ArrayList<>(model.initializers().keySet());
        throw error("not a Hugging Face BERT export: no initializer '" + WORD_EMBEDDINGS + "' (or 'bert."
                + WORD_EMBEDDINGS + "'); the model has " + names.size() + " initializers"
                + (names.isEmpty() ? "" : ", e.g. " + names.subList(0, Math.min(5, names.size()))));
    }

    /** The Hugging Face module of a parameter name, without the model prefix ("" if it has another prefix). */
    private String module(String name, String suffix) {
        if (!name.endsWith(suffix)) {
            return null;
        }
        String stem = name.substring(0, name.length() - suffix.length());
        if (stem.startsWith("classifier")) {
            return stem;
        }
        return stem.startsWith(prefix) ? stem.substring(prefix.length()) : null;
    }

    /** Our name of a named (non-matrix) initializer, or null if it is not one of ours. */
    private String ourName(String name) {
        for (String suffix : List.of(".bias", ".beta")) {
            String m = module(name, suffix);
            if (m != null) {
                String bias = ourBiasName(m);
                if (bias != null) {
                    return bias;
                }
            }
        }
        for (String suffix : List.of(".weight", ".gamma")) {
            String m = module(name, suffix);
            if (m != null && m.endsWith("LayerNorm")) {
                return layerNormName(m, true);
            }
        }
        String m = module(name, ".weight");
        if (m == null) {
            return null;
        }
        return switch (m) {
            case "embeddings.word_embeddings" -> ParamNames.WORD_EMBEDDINGS;
            case "embeddings.position_embeddings" -> ParamNames.POSITION_EMBEDDINGS;
            case "embeddings.token_type_embeddings" -> ParamNames.TOKEN_TYPE_EMBEDDINGS;
            default -> null;
        };
    }

    private String ourBiasName(String module) {
        if (module.endsWith("LayerNorm")) {
            return layerNormName(module, false);
        }
        String kernel = ourKernelName(module);
        return kernel == null ? null : kernel.substring(0, kernel.length() - ".kernel".length()) + ".bias";
    }

    private static String layerNormName(String module, boolean gamma) {
        if (module.equals("embeddings.LayerNorm")) {
            return gamma ? ParamNames.EMBEDDINGS_LN_GAMMA : ParamNames.EMBEDDINGS_LN_BETA;
        }
        Matcher m = LAYER.matcher(module);
        if (!m.matches()) {
            return null;
        }
        int l = Integer.parseInt(m.group(1));
        return switch (m.group(2)) {
            case "attention.output.LayerNorm" -> gamma ? ParamNames.attentionLnGamma(l) : ParamNames.attentionLnBeta(l);
            case "output.LayerNorm" -> gamma ? ParamNames.ffnLnGamma(l) : ParamNames.ffnLnBeta(l);
            default -> null;
        };
    }

    /** Our kernel name for a Hugging Face linear module, or null. */
    private static String ourKernelName(String module) {
        switch (module) {
            case "pooler.dense":
                return ParamNames.POOLER_KERNEL;
            case "classifier":
                return ParamNames.CLASSIFIER_KERNEL;
            default:
                break;
        }
        Matcher m = LAYER.matcher(module);
        if (!m.matches()) {
            return null;
        }
        int l = Integer.parseInt(m.group(1));
        ParamNames.LayerMatrix matrix = switch (m.group(2)) {
            case "attention.self.query" -> ParamNames.LayerMatrix.QUERY;
            case "attention.self.key" -> ParamNames.LayerMatrix.KEY;
            case "attention.self.value" -> ParamNames.LayerMatrix.VALUE;
            case "attention.output.dense" -> ParamNames.LayerMatrix.ATTENTION_OUTPUT;
            case "intermediate.dense" -> ParamNames.LayerMatrix.INTERMEDIATE;
            case "output.dense" -> ParamNames.LayerMatrix.OUTPUT;
            default -> null;
        };
        return matrix == null ? null : matrix.kernel(l);
    }

    // ---- weight matrices, found through the nodes that read them ----

    /**
     * Every MatMul or Gemm whose second operand is a rank-2 initializer (directly, or through a
     * Transpose), identified by the named bias added to its product.
     */
    private List<Linear> findLinears() {
        List<Linear> out = new ArrayList<>();
        for (OnnxNode node : model.nodes()) {
            boolean gemm = node.opType().equals("Gemm");
            if (!gemm && !node.opType().equals("MatMul")) {
                continue;
            }
            String operand = node.input(1);
            boolean transposed = false;
            OnnxTensor weight = model.initializers().get(operand);
            Optional<OnnxNode> producer = model.producer(operand);
            if (weight == null && producer.isPresent() && producer.get().opType().equals("Transpose")) {
                OnnxNode tr = producer.get();
                long[] perm = tr.attribute("perm").map(OnnxAttribute::ints).orElse(new long[] {1, 0});
                weight = model.initializers().get(tr.input(0));
                if (weight != null && !Arrays.equals(perm, new long[] {1, 0})) {
                    throw error(tr + " transposes initializer '" + weight.name() + "' with perm "
                            + Arrays.toString(perm) + ", expected [1, 0]");
                }
                transposed = true;
            }
            if (weight == null || weight.rank() != 2) {
                continue; // activations times activations (attention scores), or not a matrix
            }
            if (gemm) {
                if (node.intAttribute("transA", 0) != 0) {
                    throw error(node + " has transA = 1; expected activations as its first operand");
                }
                transposed ^= node.intAttribute("transB", 0) != 0;
            } else if (model.initializers().containsKey(node.input(0))) {
                throw error(node + " multiplies two initializers; expected activations times a weight matrix");
            }
            String biasName = null;
            String output = node.outputs().get(0);
            if (gemm && model.initializers().containsKey(node.input(2))) {
                biasName = node.input(2);
            } else {
                for (OnnxNode add : model.consumers(output)) {
                    if (!add.opType().equals("Add") || add.inputs().size() != 2) {
                        continue;
                    }
                    String other = add.input(0).equals(output) ? add.input(1) : add.input(0);
                    OnnxTensor bias = model.initializers().get(other);
                    if (bias != null && bias.rank() == 1) {
                        biasName = other;
                        output = add.outputs().get(0);
                        break;
                    }
                }
            }
            String module = moduleOf(node, weight, biasName);
            out.add(new Linear(module, node, new Origin(weight.name(), node.name(), transposed), weight, output));
        }
        return out;
    }

    /** The Hugging Face module a weight matrix belongs to, from its bias's name (and its own, when named). */
    private String moduleOf(OnnxNode node, OnnxTensor weight, String biasName) {
        String fromWeight = linearModule(weight.name(), ".weight");
        String fromBias = biasName == null ? null : linearModule(biasName, ".bias");
        if (fromWeight != null && fromBias != null && !fromWeight.equals(fromBias)) {
            throw error(node + " multiplies by '" + weight.name() + "' but adds bias '" + biasName
                    + "' of another module");
        }
        if (fromBias != null) {
            return fromBias;
        }
        if (fromWeight != null) {
            return fromWeight;
        }
        return "?" + weight.name(); // not a BERT encoder matrix (e.g. a tied masked-LM decoder): ignored
    }

    /** The module of a name if it is one of the linear layers this importer maps, else null. */
    private String linearModule(String name, String suffix) {
        String m = module(name, suffix);
        return m != null && ourKernelName(m) != null ? m : null;
    }

    // ---- config from shapes ----

    private BertConfig configFromShapes(Map<String, OnnxTensor> t) {
        long[] words = require(t, ParamNames.WORD_EMBEDDINGS, 2, "[vocab_size, hidden_size]");
        long[] positions = require(t, ParamNames.POSITION_EMBEDDINGS, 2, "[max_position_embeddings, hidden_size]");
        long[] types = require(t, ParamNames.TOKEN_TYPE_EMBEDDINGS, 2, "[type_vocab_size, hidden_size]");
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : t.keySet()) {
            int l = ParamNames.layerOf(name);
            if (l >= 0) {
                layers.add(l);
            }
        }
        if (layers.isEmpty()) {
            throw error("no encoder layers: no initializer named like '" + prefix
                    + "encoder.layer.0.attention.self.query.bias'");
        }
        if (layers.first() != 0 || layers.last() != layers.size() - 1) {
            throw error("encoder layers " + layers + " are not numbered 0.." + (layers.size() - 1));
        }
        long[] intermediate = require(t, ParamNames.LayerMatrix.INTERMEDIATE.bias(0), 1, "[intermediate_size]");
        List<String> labels = new ArrayList<>();
        OnnxTensor classifierBias = t.get(ParamNames.CLASSIFIER_BIAS);
        if (classifierBias != null) {
            for (int i = 0; i < classifierBias.elementCount(); i++) {
                labels.add("LABEL_" + i); // Hugging Face's names when a config gives none
            }
        }
        return config(Math.toIntExact(words[0]), Math.toIntExact(words[1]), layers.size(), 1,
                Math.toIntExact(intermediate[0]), Activation.GELU_ERF, Math.toIntExact(positions[0]),
                Math.toIntExact(types[0]), 1e-12, 0, labels);
    }

    private BertConfig config(int vocab, int hidden, int layers, int heads, int intermediate, Activation act,
                              int maxPositions, int typeVocab, double eps, double maskValue, List<String> labels) {
        try {
            return new BertConfig(vocab, hidden, layers, heads, intermediate, act, maxPositions, typeVocab, eps,
                    maskValue, labels);
        } catch (IllegalArgumentException e) {
            throw error("the derived config is invalid: " + e.getMessage());
        }
    }

    private long[] require(Map<String, OnnxTensor> t, String ours, int rank, String expected) {
        OnnxTensor x = t.get(ours);
        if (x == null) {
            throw error("no initializer for " + ours + " (expected shape " + expected + ")");
        }
        if (x.rank() != rank) {
            throw error("initializer '" + x.name() + "' (" + ours + ") has shape " + Arrays.toString(x.dims())
                    + ", expected " + expected);
        }
        return x.dims();
    }

    /** Every mapped initializer against the shape our name needs, in the file's layout. */
    private void checkShapes(BertConfig c, Map<String, OnnxTensor> t, Map<String, Origin> origins) {
        Map<String, long[]> expected = new LinkedHashMap<>();
        List<ParamNames.Entry> entries = new ArrayList<>(ParamNames.embeddingParams(c));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            entries.addAll(ParamNames.layerParams(c, l));
        }
        entries.addAll(ParamNames.poolerParams(c));
        entries.addAll(ParamNames.classifierParams(c));
        entries.forEach(e -> expected.put(e.name(), e.shape()));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, OnnxTensor> e : t.entrySet()) {
            long[] want = expected.get(e.getKey());
            if (want == null) {
                continue; // reported by BertWeights.validated
            }
            Origin o = origins.get(e.getKey());
            long[] inFile = o.transposed() ? new long[] {want[1], want[0]} : want;
            if (!Arrays.equals(e.getValue().dims(), inFile)) {
                problems.add("initializer '" + o.initializer() + "' (" + e.getKey()
                        + (o.node().isEmpty() ? "" : ", the weight of node '" + o.node() + "'") + ") has shape "
                        + Arrays.toString(e.getValue().dims()) + ", expected " + Arrays.toString(inFile)
                        + (o.transposed() ? " ([out, in], transposed on import)" : ""));
            }
        }
        if (!problems.isEmpty()) {
            throw error(String.join("; ", problems));
        }
    }

    // ---- numerics from the graph ----

    /** Heads h = H / d, with d from the score scale 1/√d and/or the Reshape to [.., .., h, d]. */
    private int numHeads(int hidden) {
        Set<Integer> fromScale = new TreeSet<>();
        Set<Integer> fromReshape = new TreeSet<>();
        for (OnnxNode softmax : nodes("Softmax")) {
            Optional<OnnxNode> add = model.producer(softmax.input(0)).filter(n -> n.opType().equals("Add"));
            for (String scoresInput : add.map(OnnxNode::inputs).orElse(List.of(softmax.input(0)))) {
                scaledHeadSize(scoresInput).ifPresent(d -> fromScale.add(d));
            }
        }
        for (OnnxNode reshape : nodes("Reshape")) {
            long[] shape = reshapeTarget(reshape.input(1));
            if (shape != null && shape.length == 4 && shape[2] > 0 && shape[3] > 0 && shape[2] * shape[3] == hidden) {
                fromReshape.add((int) shape[2]);
            }
        }
        Set<Integer> scaleHeads = new TreeSet<>();
        for (int d : fromScale) {
            if (hidden % d != 0) {
                throw error("the attention scores are scaled by 1/√" + d + " but hidden size " + hidden
                        + " is not a multiple of " + d);
            }
            scaleHeads.add(hidden / d);
        }
        Set<Integer> all = new TreeSet<>(scaleHeads);
        all.addAll(fromReshape);
        if (all.size() != 1) {
            throw error(all.isEmpty()
                    ? "cannot find the number of attention heads: expected a Softmax over scores divided by √d"
                    + " (or multiplied by 1/√d), or a Reshape to [batch, seq, heads, d]"
                    : "the attention heads disagree: " + scaleHeads + " from the score scale, " + fromReshape
                    + " from the head-split Reshape");
        }
        return all.iterator().next();
    }

    /** d if {@code value} is Div(x, √d) or Mul(x, 1/√d) with a scalar constant. */
    private Optional<Integer> scaledHeadSize(String value) {
        Optional<OnnxNode> p = model.producer(value);
        if (p.isEmpty() || !Set.of("Div", "Mul").contains(p.get().opType())) {
            return Optional.empty();
        }
        for (String in : p.get().inputs()) {
            Optional<OnnxTensor> c = model.constant(in).filter(t -> t.elementCount() == 1);
            if (c.isPresent()) {
                double s = c.get().scalar();
                double d = p.get().opType().equals("Div") ? s * s : 1 / (s * s);
                long rounded = Math.round(d);
                if (rounded >= 1 && Math.abs(d - rounded) < 1e-3 * rounded) {
                    return Optional.of((int) rounded);
                }
            }
        }
        return Optional.empty();
    }

    /** The constant target shape of a Reshape: a constant tensor, or a Concat of one-value constants and others. */
    private long[] reshapeTarget(String value) {
        Optional<OnnxTensor> c = model.constant(value);
        if (c.isPresent()) {
            return c.get().longs();
        }
        Optional<OnnxNode> concat = model.producer(value).filter(n -> n.opType().equals("Concat"));
        if (concat.isEmpty()) {
            return null;
        }
        long[] shape = new long[concat.get().inputs().size()];
        for (int k = 0; k < shape.length; k++) {
            Optional<OnnxTensor> part = model.constant(concat.get().input(k)).filter(t -> t.elementCount() == 1);
            shape[k] = part.isPresent() ? (long) part.get().scalar() : -1;
        }
        return shape;
    }

    /** The FFN activation of every layer, from the ops between its intermediate and output projections. */
    private Activation activation(List<Linear> linears) {
        Map<String, Linear> byModule = new LinkedHashMap<>();
        linears.forEach(l -> byModule.put(l.module, l));
        Set<Activation> found = new LinkedHashSet<>();
        for (int l = 0; byModule.containsKey("encoder.layer." + l + ".intermediate.dense"); l++) {
            Linear up = byModule.get("encoder.layer." + l + ".intermediate.dense");
            Linear down = byModule.get("encoder.layer." + l + ".output.dense");
            if (down == null) {
                throw error("layer " + l + " has an intermediate projection but no output projection");
            }
            found.add(activationOf(l, opsBetween(up.output, down.node.input(0))));
        }
        if (found.isEmpty()) {
            throw error("cannot find the FFN of layer 0: no MatMul or Gemm adds the bias '" + prefix
                    + "encoder.layer.0.intermediate.dense.bias'");
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
     * Op types of the nodes on the paths from {@code from} to {@code to}, walking back from
     * {@code to} along data inputs (not the shape operand of a Reshape or Expand).
     */
    private Set<String> opsBetween(String from, String to) {
        Set<String> ops = new TreeSet<>();
        Deque<String> pending = new ArrayDeque<>(List.of(to));
        Set<String> seen = new HashSet<>();
        while (!pending.isEmpty() && seen.size() < 200) {
            String v = pending.pop();
            if (v.equals(from) || !seen.add(v)) {
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
        if (!seen.contains(to) || seen.size() >= 200) {
            throw error("cannot follow the FFN from '" + from + "' to '" + to + "'");
        }
        return ops;
    }

    /** ε of every layer norm: LayerNormalization's attribute, or c in Sqrt(ReduceMean(..) + c). */
    private double layerNormEps() {
        Set<Float> eps = new TreeSet<>();
        for (OnnxNode ln : nodes("LayerNormalization")) {
            eps.add(ln.attribute("epsilon").map(OnnxAttribute::f).orElse(1e-5f));
        }
        for (OnnxNode sqrt : nodes("Sqrt")) {
            Optional<OnnxNode> add = model.producer(sqrt.input(0)).filter(n -> n.opType().equals("Add"));
            if (add.isEmpty() || add.get().inputs().stream().noneMatch(
                    in -> model.producer(in).filter(n -> n.opType().equals("ReduceMean")).isPresent())) {
                continue;
            }
            for (String in : add.get().inputs()) {
                model.constant(in).filter(t -> t.elementCount() == 1).ifPresent(c -> eps.add((float) c.scalar()));
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

    /** The additive score for padded keys: c in (1 − mask)·c, or the fill value of Where(mask, 0, c). */
    private double maskValue() {
        Set<Double> values = new TreeSet<>();
        for (OnnxNode softmax : nodes("Softmax")) {
            model.producer(softmax.input(0)).filter(n -> n.opType().equals("Add")).ifPresent(add -> {
                for (String in : add.inputs()) {
                    if (scaledHeadSize(in).isEmpty()) {
                        maskConstant(in).ifPresent(values::add);
                    }
                }
            });
        }
        if (values.size() != 1) {
            throw error(values.isEmpty()
                    ? "cannot find the attention-mask value: expected Softmax(scores + (1 − mask)·c) with a constant c"
                    : "the attention layers use different mask values " + values);
        }
        return values.iterator().next();
    }

    private Optional<Double> maskConstant(String value) {
        Optional<OnnxNode> p = model.producer(value);
        for (int steps = 0; p.isPresent() && steps < 10; steps++) {
            OnnxNode n = p.get();
            if (n.opType().equals("Mul") || n.opType().equals("Where")) {
                for (String in : n.inputs()) {
                    Optional<OnnxTensor> c = model.constant(in).filter(t -> t.elementCount() == 1);
                    if (c.isPresent() && c.get().scalar() != 0) {
                        return Optional.of(c.get().scalar());
                    }
                }
                return Optional.empty();
            }
            if (!PASS_THROUGH.contains(n.opType())) {
                return Optional.empty();
            }
            p = model.producer(n.input(0));
        }
        return Optional.empty();
    }

    private List<OnnxNode> nodes(String opType) {
        return model.nodes().stream().filter(n -> n.opType().equals(opType)).toList();
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(source + ": " + message);
    }
}
