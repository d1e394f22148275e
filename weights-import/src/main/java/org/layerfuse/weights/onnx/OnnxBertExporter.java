package org.layerfuse.weights.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.Tensor;

/**
 * Writes {@link BertWeights} as a standard ONNX model (opset 17, float32) that ONNX Runtime and
 * other JVM runtimes load, with the numerics of our SameDiff graph:
 * <pre>
 *   x = LayerNorm(Gather(words, input_ids) + Gather(types, token_type_ids) + Gather(positions, 0..S−1))
 *   per layer:  a = LayerNorm(x + Attention(x));  x = LayerNorm(a + GELU(a·W1 + b1)·W2 + b2)
 *   Attention:  softmax(Q·Kᵀ · 1/√d + (1 − mask)·c)·V, heads split by Reshape [0, 0, h, d]
 *   pooler_output = tanh(x[:, 0]·Wp + bp);  logits = pooler_output·Wc + bc
 * </pre>
 * with the config's mask constant c (−10000 for Google's BERT, the float minimum for Hugging
 * Face exports) and GELU form (Erf, or the Tanh approximation), so the export reproduces our
 * model rather than a generic BERT. Inputs {@code input_ids}, {@code attention_mask},
 * {@code token_type_ids} are int64 {@code [batch, sequence]} with dynamic axes; outputs are
 * {@code last_hidden_state}, plus {@code pooler_output} with a pooler and {@code logits} with a
 * classifier. Class names go into {@code metadata_props} as {@value OnnxBertImporter#ID2LABEL}.
 *
 * <p>Initializers keep Hugging Face's names (as a torch export does) for embeddings, biases and
 * layer norms; matrices are stored {@code [in, out]} as {@code <module>.kernel}, read by a
 * plain MatMul. {@link OnnxBertImporter} reads the file back to the same weights.
 */
public final class OnnxBertExporter {

    /** The file name inside an exported model folder. */
    public static final String MODEL_FILE = "model.onnx";
    /** LayerNormalization is in the default domain from opset 17. */
    public static final long OPSET = 17;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BertConfig config;
    private final BertWeights weights;
    private final OnnxGraphWriter g = new OnnxGraphWriter("layerfuse_bert");

    private OnnxBertExporter(BertWeights weights) {
        this.config = weights.config();
        this.weights = weights;
    }

    /**
     * Writes {@code weights} to {@code file}: into a temporary file beside it, then moved into
     * place, so {@code file} is either absent (or its old version) or the complete model.
     */
    public static void write(BertWeights weights, Path file) {
        OnnxBertExporter exporter = new OnnxBertExporter(weights);
        exporter.build();
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, "." + file.getFileName() + ".", ".tmp");
            exporter.g.write(tmp, OPSET, "0.1.0");
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": writing the ONNX model failed: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file is hidden and named after the target; nothing else to do
                }
            }
        }
    }

    /** Hugging Face's {@code id2label} object as JSON, the metadata value for the class names. */
    static String id2labelJson(List<String> labels) {
        ObjectNode o = JSON.createObjectNode();
        for (int i = 0; i < labels.size(); i++) {
            o.put(String.valueOf(i), labels.get(i));
        }
        return o.toString();
    }

    private void build() {
        for (String in : List.of("input_ids", "attention_mask", "token_type_ids")) {
            g.input(in, OnnxGraphWriter.INT64, "batch", "sequence");
        }
        String x = embeddings();
        String maskAdd = maskAdd();
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            x = layer(l, x, maskAdd, l == config.numHiddenLayers() - 1 ? "last_hidden_state" : null);
        }
        long h = config.hiddenSize();
        g.output("last_hidden_state", OnnxGraphWriter.FLOAT, "batch", "sequence", h);
        if (weights.hasPooler()) {
            String cls = g.op("Gather", "/pooler/cls", List.of(x, g.int64Constant(new long[0], 0)),
                    OnnxGraphWriter.intAttribute("axis", 1));
            String dense = dense("pooler.dense", ParamNames.POOLER_KERNEL, ParamNames.POOLER_BIAS, cls);
            String pooled = g.opNamed("Tanh", "pooler_output", List.of(dense));
            g.output("pooler_output", OnnxGraphWriter.FLOAT, "batch", h);
            if (weights.has(ParamNames.CLASSIFIER_KERNEL)) {
                String z = g.op("MatMul", "/classifier/MatMul", List.of(pooled,
                        vector("classifier.kernel", ParamNames.CLASSIFIER_KERNEL)));
                g.opNamed("Add", "logits", List.of(z, vector("classifier.bias", ParamNames.CLASSIFIER_BIAS)));
                g.output("logits", OnnxGraphWriter.FLOAT, "batch", (long) config.numLabels());
            }
        }
        if (!config.labels().isEmpty()) {
            g.metadata(OnnxBertImporter.ID2LABEL, id2labelJson(config.labels()));
        }
        g.metadata("layerfuse.hidden_act", config.hiddenAct().huggingFaceName());
        g.metadata("layerfuse.max_position_embeddings", String.valueOf(config.maxPositionEmbeddings()));
    }

    private String embeddings() {
        String words = vector("embeddings.word_embeddings.weight", ParamNames.WORD_EMBEDDINGS);
        String positions = vector("embeddings.position_embeddings.weight", ParamNames.POSITION_EMBEDDINGS);
        String types = vector("embeddings.token_type_embeddings.weight", ParamNames.TOKEN_TYPE_EMBEDDINGS);
        String seqLen = g.op("Gather", "/embeddings/seq_len", List.of(g.op("Shape", "/embeddings/Shape",
                List.of("input_ids")), g.int64Constant(new long[0], 1)), OnnxGraphWriter.intAttribute("axis", 0));
        String positionIds = g.op("Range", "/embeddings/position_ids",
                List.of(g.int64Constant(new long[0], 0), seqLen, g.int64Constant(new long[0], 1)));
        String sum = g.op("Add", "/embeddings/Add", List.of(
                g.op("Add", "/embeddings/Add", List.of(
                        g.op("Gather", "/embeddings/word", List.of(words, "input_ids")),
                        g.op("Gather", "/embeddings/position", List.of(positions, positionIds)))),
                g.op("Gather", "/embeddings/token_type", List.of(types, "token_type_ids"))));
        return layerNorm("embeddings.LayerNorm", ParamNames.EMBEDDINGS_LN_GAMMA, ParamNames.EMBEDDINGS_LN_BETA, sum,
                null);
    }

    /** (1 − mask)·c as {@code [batch, 1, 1, sequence]}, added to every layer's scores. */
    private String maskAdd() {
        String mask = g.op("Cast", "/mask/Cast", List.of("attention_mask"),
                OnnxGraphWriter.intAttribute("to", OnnxGraphWriter.FLOAT));
        String inverted = g.op("Sub", "/mask/Sub", List.of(g.floatScalar(1f), mask));
        String scaled = g.op("Mul", "/mask/Mul", List.of(inverted, g.floatScalar((float) config.attentionMaskValue())));
        return g.op("Unsqueeze", "/mask/Unsqueeze", List.of(scaled, g.int64Constant(new long[] {2}, 1, 2)));
    }

    private String layer(int l, String x, String maskAdd, String outputName) {
        String hf = "encoder.layer." + l + ".";
        int heads = config.numAttentionHeads();
        int d = config.headSize();
        String q = dense(hf + "attention.self.query", ParamNames.LayerMatrix.QUERY.kernel(l),
                ParamNames.LayerMatrix.QUERY.bias(l), x);
        String k = dense(hf + "attention.self.key", ParamNames.LayerMatrix.KEY.kernel(l),
                ParamNames.LayerMatrix.KEY.bias(l), x);
        String v = dense(hf + "attention.self.value", ParamNames.LayerMatrix.VALUE.kernel(l),
                ParamNames.LayerMatrix.VALUE.bias(l), x);
        String p = "/" + hf + "attention/";
        String headShape = g.int64Constant(new long[] {4}, 0, 0, heads, d);
        String qh = g.op("Transpose", p + "q_heads", List.of(g.op("Reshape", p + "q_split", List.of(q, headShape))),
                OnnxGraphWriter.intsAttribute("perm", 0, 2, 1, 3));
        String kt = g.op("Transpose", p + "k_heads", List.of(g.op("Reshape", p + "k_split", List.of(k, headShape))),
                OnnxGraphWriter.intsAttribute("perm", 0, 2, 3, 1));
        String vh = g.op("Transpose", p + "v_heads", List.of(g.op("Reshape", p + "v_split", List.of(v, headShape))),
                OnnxGraphWriter.intsAttribute("perm", 0, 2, 1, 3));
        // scores · 1/√d as our graph computes it (a multiply by the float of 1/√d, not a divide)
        String scores = g.op("Mul", p + "scale", List.of(g.op("MatMul", p + "scores", List.of(qh, kt)),
                g.floatScalar((float) (1.0 / Math.sqrt(d)))));
        String probs = g.op("Softmax", p + "probs", List.of(g.op("Add", p + "masked", List.of(scores, maskAdd))),
                OnnxGraphWriter.intAttribute("axis", -1));
        String context = g.op("Transpose", p + "context", List.of(g.op("MatMul", p + "weighted", List.of(probs, vh))),
                OnnxGraphWriter.intsAttribute("perm", 0, 2, 1, 3));
        String merged = g.op("Reshape", p + "merge", List.of(context,
                g.int64Constant(new long[] {3}, 0, 0, config.hiddenSize())));
        String attention = dense(hf + "attention.output.dense", ParamNames.LayerMatrix.ATTENTION_OUTPUT.kernel(l),
                ParamNames.LayerMatrix.ATTENTION_OUTPUT.bias(l), merged);
        String a = layerNorm(hf + "attention.output.LayerNorm", ParamNames.attentionLnGamma(l),
                ParamNames.attentionLnBeta(l), g.op("Add", p + "residual", List.of(attention, x)), null);
        String up = dense(hf + "intermediate.dense", ParamNames.LayerMatrix.INTERMEDIATE.kernel(l),
                ParamNames.LayerMatrix.INTERMEDIATE.bias(l), a);
        String down = dense(hf + "output.dense", ParamNames.LayerMatrix.OUTPUT.kernel(l),
                ParamNames.LayerMatrix.OUTPUT.bias(l), activation("/" + hf + "ffn/", up));
        return layerNorm(hf + "output.LayerNorm", ParamNames.ffnLnGamma(l), ParamNames.ffnLnBeta(l),
                g.op("Add", "/" + hf + "ffn/residual", List.of(down, a)), outputName);
    }

    /** x·W + b, W an {@code [in, out]} initializer named {@code <module>.kernel}. */
    private String dense(String module, String kernel, String bias, String x) {
        String product = g.op("MatMul", "/" + module + "/MatMul", List.of(x, vector(module + ".kernel", kernel)));
        return g.op("Add", "/" + module + "/Add", List.of(product, vector(module + ".bias", bias)));
    }

    /** The FFN activation in the model's own form, op for op as {@code bert/graph/Gelu} writes it. */
    private String activation(String p, String x) {
        return switch (config.hiddenAct()) {
            case GELU_ERF -> {
                String erf = g.op("Erf", p + "erf", List.of(g.op("Mul", p + "scale", List.of(x,
                        g.floatScalar((float) Math.sqrt(0.5))))));
                String times = g.op("Mul", p + "times_x", List.of(g.op("Add", p + "one_plus",
                        List.of(erf, g.floatScalar(1f))), x));
                yield g.op("Mul", p + "half", List.of(times, g.floatScalar(0.5f)));
            }
            case GELU_TANH -> {
                String cube = g.op("Mul", p + "cube", List.of(g.op("Mul", p + "square", List.of(x, x)), x));
                String inner = g.op("Mul", p + "inner", List.of(g.op("Add", p + "sum", List.of(x,
                        g.op("Mul", p + "cubic", List.of(cube, g.floatScalar(0.044715f))))),
                        g.floatScalar((float) Math.sqrt(2.0 / Math.PI))));
                String times = g.op("Mul", p + "times_x", List.of(g.op("Add", p + "one_plus", List.of(
                        g.op("Tanh", p + "tanh", List.of(inner)), g.floatScalar(1f))), x));
                yield g.op("Mul", p + "half", List.of(times, g.floatScalar(0.5f)));
            }
            case RELU -> g.op("Relu", p + "relu", List.of(x));
        };
    }

    private String layerNorm(String module, String gamma, String beta, String x, String outputName) {
        List<String> in = List.of(x, vector(module + ".weight", gamma), vector(module + ".bias", beta));
        byte[] axis = OnnxGraphWriter.intAttribute("axis", -1);
        byte[] eps = OnnxGraphWriter.floatAttribute("epsilon", (float) config.layerNormEps());
        return outputName != null ? g.opNamed("LayerNormalization", outputName, in, axis, eps)
                : g.op("LayerNormalization", "/" + module, in, axis, eps);
    }

    /** An initializer with the values of one of our parameters (matrices already [in, out], as MatMul reads them). */
    private String vector(String onnxName, String ours) {
        Tensor t = weights.get(ours);
        return g.floatInitializer(onnxName, t.shape(), t.data());
    }
}
