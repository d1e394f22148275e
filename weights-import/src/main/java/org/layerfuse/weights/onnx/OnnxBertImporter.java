package org.layerfuse.weights.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

    private static final List<String> PREFIXES = List.of("", "bert.");
    /** The metadata key holding the class names, as Hugging Face's {@code id2label} object in JSON. */
    public static final String ID2LABEL = "id2label";

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
    private final HuggingFaceNames names;

    private OnnxBertImporter(OnnxModel model) {
        this.model = model;
        this.source = model.source();
        this.names = findPrefix();
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
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Origin> origins = new LinkedHashMap<>();
        Map<String, OnnxTensor> fromOnnx = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();

        List<Linear> linears = findLinears();
        for (Linear lin : linears) {
            String kernel = HuggingFaceNames.ourKernel(lin.module);
            if (kernel == null) {
                continue; // a head this importer does not map (e.g. a masked-LM transform)
            }
            put(kernel, lin.weight, lin.origin, fromOnnx, origins);
            used.add(lin.weight.name());
        }
        for (OnnxTensor t : model.initializers().values()) {
            String ours = names.ourName(t.name());
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

        OnnxBertNumerics graph = new OnnxBertNumerics(model);
        BertConfig config = config(shapes.vocabSize(), shapes.hiddenSize(), shapes.numHiddenLayers(),
                graph.numHeads(shapes.hiddenSize()), shapes.intermediateSize(),
                graph.activation(ffns(linears, shapes.numHiddenLayers())), shapes.maxPositionEmbeddings(),
                shapes.typeVocabSize(), graph.layerNormEps(), graph.maskValue(), labels(shapes.labels()));
        List<String> ignored = model.initializers().keySet().stream().filter(n -> !used.contains(n)).toList();
        return new Import(BertWeights.validated(config, tensors, source), origins, ignored);
    }

    /**
     * The class names: the {@value #ID2LABEL} metadata entry that LayerFuse's exporter writes
     * (Hugging Face's {@code id2label} as JSON), else Hugging Face's {@code LABEL_i}.
     */
    private List<String> labels(List<String> fromShapes) {
        String json = model.metadata().get(ID2LABEL);
        if (json == null || fromShapes.isEmpty()) {
            return fromShapes;
        }
        com.fasterxml.jackson.databind.JsonNode map;
        try {
            map = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw error("metadata '" + ID2LABEL + "' is not JSON: " + e.getMessage());
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < fromShapes.size(); i++) {
            com.fasterxml.jackson.databind.JsonNode name = map == null ? null : map.get(String.valueOf(i));
            if (name == null || !name.isTextual()) {
                throw error("metadata '" + ID2LABEL + "' must name classes 0.." + (fromShapes.size() - 1)
                        + " (the classifier has " + fromShapes.size() + "); got " + json);
            }
            labels.add(name.asText());
        }
        if (map.size() != fromShapes.size()) {
            throw error("metadata '" + ID2LABEL + "' names " + map.size() + " classes, the classifier has "
                    + fromShapes.size());
        }
        return labels;
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

    /** The names of this export: with or without the {@code bert.} prefix, or not a BERT at all. */
    private HuggingFaceNames findPrefix() {
        for (String p : PREFIXES) {
            if (model.initializers().containsKey(p + HuggingFaceNames.WORD_EMBEDDINGS)) {
                return new HuggingFaceNames(p);
            }
        }
        List<String> names = new ArrayList<>(model.initializers().keySet());
        throw error("not a Hugging Face BERT export: no initializer '" + HuggingFaceNames.WORD_EMBEDDINGS
                + "' (or 'bert." + HuggingFaceNames.WORD_EMBEDDINGS + "'); the model has " + names.size()
                + " initializers" + (names.isEmpty() ? "" : ", e.g. " + names.subList(0, Math.min(5, names.size()))));
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
        String fromWeight = names.linearModule(weight.name(), ".weight");
        String fromBias = biasName == null ? null : names.linearModule(biasName, ".bias");
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
            throw error("no encoder layers: no initializer named like '" + names.prefix()
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

    /** Each layer's FFN as the numerics reader needs it: intermediate output to output-projection input. */
    private List<OnnxBertNumerics.Ffn> ffns(List<Linear> linears, int layers) {
        Map<String, Linear> byModule = new LinkedHashMap<>();
        linears.forEach(l -> byModule.put(l.module, l));
        List<OnnxBertNumerics.Ffn> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            Linear up = byModule.get("encoder.layer." + l + ".intermediate.dense");
            Linear down = byModule.get("encoder.layer." + l + ".output.dense");
            out.add(new OnnxBertNumerics.Ffn(l, up.output, down.node.input(0)));
        }
        return out;
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(source + ": " + message);
    }
}
