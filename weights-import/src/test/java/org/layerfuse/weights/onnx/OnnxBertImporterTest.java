package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.Tensor;
import org.layerfuse.weights.artifact.MiniLmArtifact;
import org.layerfuse.weights.onnx.TinyBertOnnx.Layout;
import org.layerfuse.weights.onnx.TinyBertOnnx.Options;

class OnnxBertImporterTest {

    /** Where each of our matrices sits in the MiniLM export, by its node names (which the importer never reads). */
    private static final Map<ParamNames.LayerMatrix, String> HF_MODULE = Map.of(
            ParamNames.LayerMatrix.QUERY, "attention.self.query",
            ParamNames.LayerMatrix.KEY, "attention.self.key",
            ParamNames.LayerMatrix.VALUE, "attention.self.value",
            ParamNames.LayerMatrix.ATTENTION_OUTPUT, "attention.output.dense",
            ParamNames.LayerMatrix.INTERMEDIATE, "intermediate.dense",
            ParamNames.LayerMatrix.OUTPUT, "output.dense");

    private static OnnxModel miniLm;
    private static OnnxBertImporter.Import imported;

    @TempDir
    Path tmp;

    @BeforeAll
    static void importMiniLm() {
        miniLm = OnnxModelReader.read(MiniLmArtifact.files().onnx());
        imported = OnnxBertImporter.map(miniLm);
    }

    @Test
    void derivesTheMiniLmConfig() {
        BertConfig c = imported.weights().config();
        assertEquals(6, c.numHiddenLayers());
        assertEquals(384, c.hiddenSize());
        assertEquals(12, c.numAttentionHeads());
        assertEquals(1536, c.intermediateSize());
        assertEquals(30522, c.vocabSize());
        assertEquals(512, c.maxPositionEmbeddings());
        assertEquals(2, c.typeVocabSize());
        assertEquals(Activation.GELU_ERF, c.hiddenAct());
        assertEquals(1e-12, c.layerNormEps());
        assertEquals(-Float.MAX_VALUE, c.attentionMaskValue());
        assertEquals(0, c.numLabels());
    }

    @Test
    void mapsEveryMiniLmParameterWithItsShape() {
        BertWeights w = imported.weights();
        BertConfig c = w.config();
        assertEquals(5 + 6 * 16, w.tensors().size());
        for (ParamNames.Entry e : ParamNames.embeddingParams(c)) {
            assertArrayEquals(e.shape(), w.get(e.name()).shape(), e.name());
        }
        for (int l = 0; l < 6; l++) {
            for (ParamNames.Entry e : ParamNames.layerParams(c, l)) {
                assertArrayEquals(e.shape(), w.get(e.name()).shape(), e.name());
            }
        }
        assertFalse(w.hasPooler());
        assertEquals(List.of("embeddings.position_ids"), imported.ignored());
        Set<String> kernelSources = new HashSet<>();
        imported.origins().forEach((ours, origin) -> {
            if (ours.endsWith(".kernel")) {
                assertTrue(origin.initializer().startsWith("onnx::MatMul_"), ours + " <- " + origin);
                assertFalse(origin.transposed(), ours);
                kernelSources.add(origin.initializer());
            }
        });
        assertEquals(36, kernelSources.size(), "36 distinct initializers for 36 matrices");
    }

    /**
     * Checks the mapping by another route than the importer's (bias names): the export's node
     * names say which module each MatMul is; its weight must be the kernel we mapped, untransposed,
     * and the Add after it must add the bias we mapped.
     */
    @Test
    void eachKernelIsTheWeightOfItsModulesMatMul() {
        BertWeights w = imported.weights();
        for (int l = 0; l < 6; l++) {
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                String module = HF_MODULE.get(m);
                String nodeName = "/encoder/layer." + l + "/" + module.replace('.', '/') + "/MatMul";
                OnnxNode matMul = miniLm.nodes().stream().filter(n -> n.name().equals(nodeName)).findFirst()
                        .orElseThrow(() -> new AssertionError("no node " + nodeName));
                OnnxTensor weight = miniLm.initializers().get(matMul.input(1));
                assertEquals(Tensor.of(weight.floats(), weight.dims()), w.get(m.kernel(l)), m.kernel(l));

                OnnxNode add = miniLm.consumers(matMul.outputs().get(0)).get(0);
                assertEquals("Add", add.opType());
                String biasName = "encoder.layer." + l + "." + module + ".bias";
                assertTrue(add.inputs().contains(biasName), add + " adds " + add.inputs());
                OnnxTensor bias = miniLm.initializers().get(biasName);
                assertEquals(Tensor.of(bias.floats(), bias.dims()), w.get(m.bias(l)), m.bias(l));
            }
            Tensor q = w.get(ParamNames.LayerMatrix.QUERY.kernel(l));
            Tensor k = w.get(ParamNames.LayerMatrix.KEY.kernel(l));
            Tensor v = w.get(ParamNames.LayerMatrix.VALUE.kernel(l));
            assertNotEquals(q, k);
            assertNotEquals(k, v);
            assertNotEquals(q, v);
            assertNotEquals(q, q.transpose(), "a symmetric Q would hide a transposition");
        }
        OnnxTensor words = miniLm.initializers().get("embeddings.word_embeddings.weight");
        assertEquals(Tensor.of(words.floats(), words.dims()), w.get(ParamNames.WORD_EMBEDDINGS));
        OnnxTensor gamma = miniLm.initializers().get("embeddings.LayerNorm.weight");
        assertEquals(Tensor.of(gamma.floats(), gamma.dims()), w.get(ParamNames.EMBEDDINGS_LN_GAMMA));
    }

    /** Each weight layout yields exactly the weights that were written, in our [in, out] layout. */
    @ParameterizedTest
    @EnumSource(Layout.class)
    void importsEveryLayoutToTheWeightsWritten(Layout layout) {
        TinyBertOnnx tiny = TinyBertOnnx.build(Options.huggingFace().layout(layout), 21);
        OnnxBertImporter.Import result = OnnxBertImporter.map(OnnxModelReader.read(ByteBuffer.wrap(tiny.bytes),
                "tiny-" + layout));
        assertEquals(tiny.config, result.weights().config());
        assertEquals(tiny.truth, result.weights().tensors());
        boolean transposed = layout != Layout.MATMUL_IN_OUT;
        assertEquals(transposed, result.origins().get(ParamNames.LayerMatrix.QUERY.kernel(0)).transposed());
    }

    /** Config numerics come from the graph: GELU form, LN epsilon (fused or not), score scale, mask, prefix, pooler. */
    @Test
    void derivesNumericsFromTheGraph() {
        Options tanh = Options.huggingFace().layout(Layout.TRANSPOSE_OUT_IN)
                .variant(Activation.GELU_TANH, true, true, "bert.", 1e-5f, -10000f, true);
        TinyBertOnnx tiny = TinyBertOnnx.build(tanh, 22);
        BertWeights w = OnnxBertImporter.map(OnnxModelReader.read(ByteBuffer.wrap(tiny.bytes), "tanh")).weights();
        assertEquals(Activation.GELU_TANH, w.config().hiddenAct()); // despite the pooler's Tanh, which is no GELU
        assertEquals(1e-5, w.config().layerNormEps());
        assertEquals(-10000.0, w.config().attentionMaskValue());
        assertEquals(2, w.config().numAttentionHeads());
        assertTrue(w.hasPooler());
        assertEquals(tiny.truth, w.tensors());

        Options gemm = Options.huggingFace().layout(Layout.GEMM_OUT_IN)
                .variant(Activation.GELU_ERF, false, true, "", 1e-7f, -Float.MAX_VALUE, true);
        TinyBertOnnx g = TinyBertOnnx.build(gemm, 23);
        BertWeights gw = OnnxBertImporter.map(OnnxModelReader.read(ByteBuffer.wrap(g.bytes), "gemm")).weights();
        assertEquals(g.config, gw.config());
        assertEquals(g.truth, gw.tensors());
    }

    @Test
    void mapsHuggingFaceNames() {
        HuggingFaceNames bert = new HuggingFaceNames("bert.");
        assertEquals("layer.3.attention.query.bias", bert.ourName("bert.encoder.layer.3.attention.self.query.bias"));
        assertEquals("layer.0.ffn.ln.gamma", bert.ourName("bert.encoder.layer.0.output.LayerNorm.weight"));
        assertEquals("layer.0.ffn.ln.gamma", bert.ourName("bert.encoder.layer.0.output.LayerNorm.gamma"));
        assertEquals("layer.1.attention.ln.beta", bert.ourName("bert.encoder.layer.1.attention.output.LayerNorm.beta"));
        assertEquals(ParamNames.EMBEDDINGS_LN_BETA, bert.ourName("bert.embeddings.LayerNorm.bias"));
        assertEquals(ParamNames.TOKEN_TYPE_EMBEDDINGS, bert.ourName("bert.embeddings.token_type_embeddings.weight"));
        assertEquals(ParamNames.POOLER_BIAS, bert.ourName("bert.pooler.dense.bias"));
        assertEquals(ParamNames.CLASSIFIER_BIAS, bert.ourName("classifier.bias"), "the head has no prefix");
        assertEquals(null, bert.ourName("encoder.layer.0.attention.self.query.bias"), "prefix missing");
        assertEquals(null, bert.ourName("bert.embeddings.position_ids"));
        assertEquals(null, bert.ourName("cls.predictions.bias"));
        assertEquals(null, bert.ourName("bert.encoder.layer.0.attention.self.query.weight"),
                "matrices come from the graph");
        assertEquals(null, bert.ourName("bert.encoder.layer.0.attention.self.query.beta"));
        assertEquals("encoder.layer.2.intermediate.dense",
                bert.linearModule("bert.encoder.layer.2.intermediate.dense.weight", ".weight"));
        assertEquals(null, bert.linearModule("bert.embeddings.word_embeddings.weight", ".weight"));
        assertEquals("layer.2.ffn.output.kernel", HuggingFaceNames.ourKernel("encoder.layer.2.output.dense"));
    }

    @Test
    void wrongShapeNamesFileTensorAndExpectedShape() {
        Path anonymous = TinyBertOnnx.build(Options.huggingFace().misshapen("encoder.layer.1.attention.self.key"), 24)
                .write(tmp.resolve("bad-key.onnx"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxBertImporter.load(anonymous));
        assertTrue(e.getMessage().startsWith(anonymous + ": initializer 'onnx::MatMul_"), e.getMessage());
        assertTrue(e.getMessage().contains("(layer.1.attention.key.kernel, the weight of node '/MatMul_"),
                e.getMessage());
        assertTrue(e.getMessage().contains("has shape [8, 9], expected [8, 8]"), e.getMessage());

        Path named = TinyBertOnnx.build(Options.huggingFace().layout(Layout.TRANSPOSE_OUT_IN)
                .misshapen("encoder.layer.0.intermediate.dense"), 25).write(tmp.resolve("bad-ffn.onnx"));
        e = assertThrows(IllegalArgumentException.class, () -> OnnxBertImporter.load(named));
        assertTrue(e.getMessage().contains(named + ": initializer 'encoder.layer.0.intermediate.dense.weight'"
                + " (layer.0.ffn.intermediate.kernel"), e.getMessage());
        assertTrue(e.getMessage().contains("has shape [16, 9], expected [16, 8] ([out, in], transposed on import)"),
                e.getMessage());
    }

    @Test
    void onnxThatIsNotBertIsRefused() throws Exception {
        byte[] graph = OnnxProto.graph(
                List.of(OnnxProto.node("MatMul", "mm", List.of("x", "onnx::MatMul_1"), List.of("y")),
                        OnnxProto.node("Add", "add", List.of("y", "linear.bias"), List.of("z"))),
                List.of(OnnxProto.floatTensor("onnx::MatMul_1", new long[] {2, 2}, new float[4]),
                        OnnxProto.floatTensor("linear.bias", new long[] {2}, new float[2])),
                List.of(OnnxProto.valueInfo("x", OnnxProto.FLOAT, "n", 2L)),
                List.of(OnnxProto.valueInfo("z", OnnxProto.FLOAT, "n", 2L)));
        Path file = Files.write(tmp.resolve("linear.onnx"), OnnxProto.model(13, graph));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxBertImporter.load(file));
        assertEquals(file + ": not a Hugging Face BERT export: no initializer 'embeddings.word_embeddings.weight' (or"
                + " 'bert.embeddings.word_embeddings.weight'); the model has 2 initializers, e.g. [onnx::MatMul_1,"
                + " linear.bias]", e.getMessage());

        byte[] embeddingsOnly = OnnxProto.graph(List.of(),
                List.of(OnnxProto.floatTensor("embeddings.word_embeddings.weight", new long[] {3, 2}, new float[6]),
                        OnnxProto.floatTensor("embeddings.position_embeddings.weight", new long[] {4, 2}, new float[8]),
                        OnnxProto.floatTensor("embeddings.token_type_embeddings.weight", new long[] {2, 2},
                                new float[4])),
                List.of(), List.of());
        Path noLayers = Files.write(tmp.resolve("embeddings.onnx"), OnnxProto.model(13, embeddingsOnly));
        e = assertThrows(IllegalArgumentException.class, () -> OnnxBertImporter.load(noLayers));
        assertTrue(e.getMessage().startsWith(noLayers + ": no encoder layers"), e.getMessage());
    }

    @Test
    void truncatedModelFailsInTheReader() throws Exception {
        byte[] all = TinyBertOnnx.build(Options.huggingFace(), 26).bytes;
        Path cut = Files.write(tmp.resolve("cut.onnx"), java.util.Arrays.copyOf(all, all.length - 40));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxBertImporter.load(cut));
        assertTrue(e.getMessage().startsWith(cut + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
}
