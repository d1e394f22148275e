package org.layerfuse.weights.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.Tensor;

/**
 * A tiny BERT (vocab 50, H = 8, 2 layers, 2 heads, I = 16) written as an ONNX graph in the
 * style of a Hugging Face export, with random weights, in the layout variants exporters
 * produce. ONNX Runtime runs it; {@link #truth} holds the same weights under our names in our
 * {@code [in, out]} layout, so an importer can be checked against what was written.
 */
final class TinyBertOnnx {

    /** How the weight matrices appear in the file. */
    enum Layout {
        /** anonymous {@code onnx::MatMul_N} initializers in {@code [in, out]}, bias added after (constant folding) */
        MATMUL_IN_OUT,
        /** named {@code …weight} initializers in {@code [out, in]}, read through a Transpose */
        TRANSPOSE_OUT_IN,
        /** named {@code …weight} initializers in {@code [out, in]}, read by Gemm(transB = 1) on 2-D reshaped input */
        GEMM_OUT_IN
    }

    /**
     * @param fusedLayerNorm    LayerNormalization ops (opset 17) instead of the decomposed form
     * @param mulScale          scores × 1/√d instead of scores / √d
     * @param misshapenModule   a Hugging Face module whose weight gets one extra column (not runnable then)
     */
    record Options(Layout layout, Activation gelu, boolean fusedLayerNorm, boolean mulScale, String prefix,
                   float eps, float maskValue, boolean pooler, String misshapenModule) {

        static Options huggingFace() {
            return new Options(Layout.MATMUL_IN_OUT, Activation.GELU_ERF, false, false, "", 1e-12f, -Float.MAX_VALUE,
                    false, null);
        }

        Options layout(Layout l) {
            return new Options(l, gelu, fusedLayerNorm, mulScale, prefix, eps, maskValue, pooler, misshapenModule);
        }

        Options variant(Activation g, boolean fused, boolean mul, String p, float e, float mask, boolean withPooler) {
            return new Options(layout, g, fused, mul, p, e, mask, withPooler, misshapenModule);
        }

        Options misshapen(String module) {
            return new Options(layout, gelu, fusedLayerNorm, mulScale, prefix, eps, maskValue, pooler, module);
        }
    }

    static final int VOCAB = 50, HIDDEN = 8, LAYERS = 2, HEADS = 2, INTERMEDIATE = 16, MAX_POS = 16, TYPES = 2;

    final BertConfig config;
    final Map<String, Tensor> truth = new LinkedHashMap<>();
    final byte[] bytes;

    private final Options o;
    private final SplittableRandom random;
    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private int counter;

    private TinyBertOnnx(Options o, long seed) {
        this.o = o;
        this.random = new SplittableRandom(seed);
        this.config = new BertConfig(VOCAB, HIDDEN, LAYERS, HEADS, INTERMEDIATE, o.gelu(), MAX_POS, TYPES,
                Double.parseDouble(Float.toString(o.eps())), o.maskValue(), List.of());
        this.bytes = build();
    }

    static TinyBertOnnx build(Options o, long seed) {
        return new TinyBertOnnx(o, seed);
    }

    Path write(Path file) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] build() {
        String p = o.prefix();
        String words = param(p + "embeddings.word_embeddings.weight", ParamNames.WORD_EMBEDDINGS, 0.5, VOCAB, HIDDEN);
        String positions = param(p + "embeddings.position_embeddings.weight", ParamNames.POSITION_EMBEDDINGS, 0.5,
                MAX_POS, HIDDEN);
        String types = param(p + "embeddings.token_type_embeddings.weight", ParamNames.TOKEN_TYPE_EMBEDDINGS, 0.5,
                TYPES, HIDDEN);
        initializers.add(OnnxProto.int64Tensor(p + "embeddings.position_ids", new long[] {1, MAX_POS},
                java.util.stream.LongStream.range(0, MAX_POS).toArray()));

        String seqLen = op("Gather", List.of(op("Shape", List.of("input_ids")), int64Const(new long[0], 1)),
                OnnxProto.intAttribute("axis", 0));
        String range = op("Range", List.of(int64Const(new long[0], 0), seqLen, int64Const(new long[0], 1)));
        String sum = op("Add", List.of(op("Add", List.of(op("Gather", List.of(words, "input_ids")),
                op("Gather", List.of(types, "token_type_ids")))), op("Gather", List.of(positions, range))));
        String x = layerNorm(sum, p + "embeddings.LayerNorm", ParamNames.EMBEDDINGS_LN_GAMMA,
                ParamNames.EMBEDDINGS_LN_BETA);

        String mask = op("Cast", List.of(op("Unsqueeze", List.of("attention_mask", int64Const(new long[] {2}, 1, 2)))),
                OnnxProto.intAttribute("to", OnnxProto.FLOAT));
        String maskAdd = op("Mul", List.of(op("Sub", List.of(floatConstant(1f), mask)), floatConstant(o.maskValue())));

        for (int l = 0; l < LAYERS; l++) {
            x = layer(l, x, maskAdd);
        }
        List<byte[]> outputs = new ArrayList<>();
        output(x, "last_hidden_state");
        outputs.add(OnnxProto.valueInfo("last_hidden_state", OnnxProto.FLOAT, "batch", "sequence", (long) HIDDEN));
        if (o.pooler()) {
            String cls = op("Gather", List.of("last_hidden_state", int64Const(new long[0], 0)),
                    OnnxProto.intAttribute("axis", 1));
            String pooled = o.layout() == Layout.MATMUL_IN_OUT
                    ? linear(p + "pooler.dense", ParamNames.POOLER_KERNEL, ParamNames.POOLER_BIAS, cls, HIDDEN, HIDDEN)
                    : gemm(p + "pooler.dense", ParamNames.POOLER_KERNEL, ParamNames.POOLER_BIAS, cls, HIDDEN, HIDDEN);
            output(op("Tanh", List.of(pooled)), "pooler_output");
            outputs.add(OnnxProto.valueInfo("pooler_output", OnnxProto.FLOAT, "batch", (long) HIDDEN));
        }
        List<byte[]> inputs = new ArrayList<>();
        for (String in : List.of("input_ids", "attention_mask", "token_type_ids")) {
            inputs.add(OnnxProto.valueInfo(in, OnnxProto.INT64, "batch", "sequence"));
        }
        return OnnxProto.model(o.fusedLayerNorm() ? 17 : 14, OnnxProto.graph(nodes, initializers, inputs, outputs));
    }

    private String layer(int l, String x, String maskAdd) {
        String m = o.prefix() + "encoder.layer." + l + ".";
        int d = HIDDEN / HEADS;
        String q = dense(m + "attention.self.query", ParamNames.LayerMatrix.QUERY, l, x, HIDDEN, HIDDEN);
        String k = dense(m + "attention.self.key", ParamNames.LayerMatrix.KEY, l, x, HIDDEN, HIDDEN);
        String v = dense(m + "attention.self.value", ParamNames.LayerMatrix.VALUE, l, x, HIDDEN, HIDDEN);
        String headShape = int64Const(new long[] {4}, 0, 0, HEADS, d);
        String qh = op("Transpose", List.of(op("Reshape", List.of(q, headShape))),
                OnnxProto.intsAttribute("perm", 0, 2, 1, 3));
        String kt = op("Transpose", List.of(op("Reshape", List.of(k, headShape))),
                OnnxProto.intsAttribute("perm", 0, 2, 3, 1));
        String vh = op("Transpose", List.of(op("Reshape", List.of(v, headShape))),
                OnnxProto.intsAttribute("perm", 0, 2, 1, 3));
        String scores = op("MatMul", List.of(qh, kt));
        String scaled = o.mulScale()
                ? op("Mul", List.of(scores, floatInitializer((float) (1 / Math.sqrt(d)))))
                : op("Div", List.of(scores, floatInitializer((float) Math.sqrt(d))));
        String probs = op("Softmax", List.of(op("Add", List.of(scaled, maskAdd))), OnnxProto.intAttribute("axis", -1));
        String context = op("Reshape", List.of(op("Transpose", List.of(op("MatMul", List.of(probs, vh))),
                OnnxProto.intsAttribute("perm", 0, 2, 1, 3)), int64Const(new long[] {3}, 0, 0, HIDDEN)));
        String attention = dense(m + "attention.output.dense", ParamNames.LayerMatrix.ATTENTION_OUTPUT, l, context,
                HIDDEN, HIDDEN);
        String x1 = layerNorm(op("Add", List.of(attention, x)), m + "attention.output.LayerNorm",
                ParamNames.attentionLnGamma(l), ParamNames.attentionLnBeta(l));
        String up = dense(m + "intermediate.dense", ParamNames.LayerMatrix.INTERMEDIATE, l, x1, HIDDEN, INTERMEDIATE);
        String down = dense(m + "output.dense", ParamNames.LayerMatrix.OUTPUT, l, gelu(up), INTERMEDIATE, HIDDEN);
        return layerNorm(op("Add", List.of(down, x1)), m + "output.LayerNorm", ParamNames.ffnLnGamma(l),
                ParamNames.ffnLnBeta(l));
    }

    private String dense(String module, ParamNames.LayerMatrix matrix, int l, String x, int in, int out) {
        return o.layout() == Layout.GEMM_OUT_IN
                ? gemm3d(module, matrix.kernel(l), matrix.bias(l), x, in, out)
                : linear(module, matrix.kernel(l), matrix.bias(l), x, in, out);
    }

    /** MatMul + Add, weight anonymous [in, out] or named [out, in] behind a Transpose. */
    private String linear(String module, String kernel, String bias, String x, int in, int out) {
        String b = param(module + ".bias", bias, 0.5, out);
        if (o.layout() == Layout.MATMUL_IN_OUT) {
            String w = kernel("onnx::MatMul_" + (900 + counter++), kernel, module, in, out, false);
            return op("Add", List.of(b, op("MatMul", List.of(x, w)))); // bias first, as torch exports it
        }
        String w = kernel(module + ".weight", kernel, module, in, out, true);
        return op("Add", List.of(op("MatMul", List.of(x, op("Transpose", List.of(w),
                OnnxProto.intsAttribute("perm", 1, 0)))), b));
    }

    /** Gemm(transB = 1) on a 2-D input. */
    private String gemm(String module, String kernel, String bias, String x2d, int in, int out) {
        String b = param(module + ".bias", bias, 0.5, out);
        String w = kernel(module + ".weight", kernel, module, in, out, true);
        return op("Gemm", List.of(x2d, w, b), OnnxProto.intAttribute("transB", 1));
    }

    /** Gemm on [B, S, in] flattened to [B·S, in], reshaped back to [B, S, out]. */
    private String gemm3d(String module, String kernel, String bias, String x, int in, int out) {
        String flat = op("Reshape", List.of(x, int64Const(new long[] {2}, -1, in)));
        String y = gemm(module, kernel, bias, flat, in, out);
        String batchSeq = op("Slice", List.of(op("Shape", List.of(x)), int64Const(new long[] {1}, 0),
                int64Const(new long[] {1}, 2)));
        String shape = op("Concat", List.of(batchSeq, int64Const(new long[] {1}, out)),
                OnnxProto.intAttribute("axis", 0));
        return op("Reshape", List.of(y, shape));
    }

    private String gelu(String x) {
        if (o.gelu() == Activation.GELU_ERF) {
            String erf = op("Erf", List.of(op("Div", List.of(x, floatConstant(1.4142135f)))));
            return op("Mul", List.of(op("Mul", List.of(x, op("Add", List.of(erf, floatConstant(1f))))),
                    floatConstant(0.5f)));
        }
        String cube = op("Pow", List.of(x, floatConstant(3f)));
        String inner = op("Mul", List.of(op("Add", List.of(x, op("Mul", List.of(cube, floatConstant(0.044715f))))),
                floatConstant((float) Math.sqrt(2 / Math.PI))));
        String onePlus = op("Add", List.of(op("Tanh", List.of(inner)), floatConstant(1f)));
        return op("Mul", List.of(op("Mul", List.of(x, floatConstant(0.5f))), onePlus));
    }

    private String layerNorm(String x, String module, String gammaName, String betaName) {
        String gamma = param(module + ".weight", gammaName, -1, HIDDEN);
        String beta = param(module + ".bias", betaName, 0.3, HIDDEN);
        if (o.fusedLayerNorm()) {
            return op("LayerNormalization", List.of(x, gamma, beta), OnnxProto.intAttribute("axis", -1),
                    OnnxProto.floatAttribute("epsilon", o.eps()));
        }
        String mean = op("ReduceMean", List.of(x), OnnxProto.intsAttribute("axes", -1));
        String centered = op("Sub", List.of(x, mean));
        String variance = op("ReduceMean", List.of(op("Pow", List.of(centered, floatConstant(2f)))),
                OnnxProto.intsAttribute("axes", -1));
        String std = op("Sqrt", List.of(op("Add", List.of(variance, floatConstant(o.eps())))));
        return op("Add", List.of(op("Mul", List.of(op("Div", List.of(centered, std)), gamma)), beta));
    }

    // ---- tensors ----

    /** A random parameter under an ONNX name, recorded under our name; scale −1 means 1 + small noise (gammas). */
    private String param(String onnxName, String ours, double scale, int... shape) {
        long[] dims = Arrays.stream(shape).asLongStream().toArray();
        float[] values = randoms(shape, scale);
        truth.put(ours, new Tensor(dims, values));
        initializers.add(OnnxProto.floatTensor(onnxName, dims, values));
        return onnxName;
    }

    /** A weight matrix: ours is [in, out]; the file holds [out, in] when {@code outIn}. */
    private String kernel(String onnxName, String ours, String module, int in, int out, boolean outIn) {
        Tensor kernel = new Tensor(new long[] {in, out}, randoms(new int[] {in, out}, 1 / Math.sqrt(in)));
        truth.put(ours, kernel);
        Tensor stored = outIn ? kernel.transpose() : kernel;
        long[] dims = stored.shape();
        float[] data = stored.data();
        if (module.equals(o.misshapenModule())) {
            dims = new long[] {dims[0], dims[1] + 1};
            data = Arrays.copyOf(data, (int) (dims[0] * dims[1]));
        }
        initializers.add(OnnxProto.floatTensor(onnxName, dims, data));
        return onnxName;
    }

    private float[] randoms(int[] shape, double scale) {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble(-1, 1);
            v[i] = (float) (scale < 0 ? 1 + 0.2 * u : scale * u);
        }
        return v;
    }

    private String floatInitializer(float value) {
        String name = "const_" + counter++;
        initializers.add(OnnxProto.floatTensor(name, new long[0], new float[] {value}));
        return name;
    }

    private String int64Const(long[] dims, long... values) {
        String name = "shape_" + counter++;
        initializers.add(OnnxProto.int64Tensor(name, dims, values));
        return name;
    }

    /** A Constant node, as torch exports scalars. */
    private String floatConstant(float value) {
        return op("Constant", List.of(), OnnxProto.tensorAttribute("value",
                OnnxProto.floatTensor("", new long[0], new float[] {value})));
    }

    private String op(String opType, List<String> inputs, byte[]... attributes) {
        String name = "/" + opType + "_" + counter++;
        nodes.add(OnnxProto.node(opType, name, inputs, List.of(name + "_output_0"), attributes));
        return name + "_output_0";
    }

    /** Names a value as a graph output. */
    private void output(String value, String graphOutput) {
        nodes.add(OnnxProto.node("Identity", "/" + graphOutput, List.of(value), List.of(graphOutput)));
    }
}
