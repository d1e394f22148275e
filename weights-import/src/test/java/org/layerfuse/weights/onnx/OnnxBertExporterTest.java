package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.SampleSentences;
import org.layerfuse.bert.tokenizer.Padding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.export.ExportFormat;
import org.layerfuse.weights.export.ModelExport;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * ONNX export of real and random BERTs: ONNX Runtime 1.20 loads each file and its outputs match
 * our SameDiff model on the real sample sentences (padded in one batch, one sentence pair with
 * token type 1); the existing importer reads each file back to exactly the exported weights.
 */
class OnnxBertExporterTest {

    private static PretrainedModels.Pretrained minilm;
    private static TokenBatch sentences;

    @BeforeAll
    static void load() {
        minilm = PretrainedModels.load("minilm");
        List<String> all = SampleSentences.load();
        sentences = minilm.tokenizer().batch(all, 128, Padding.LONGEST);
        assertTrue(sentences.batchSize() >= 30 && sentences.seqLen() > 32, "real sentences of different lengths");
    }

    @Test
    void unprunedMiniLmMatchesOnnxRuntimeAndReimportsExactly(@TempDir Path dir) {
        BertModel model = BertModel.fromWeights(minilm.weights());
        BertWeights exported = model.exportWeights();
        Path onnx = dir.resolve("minilm.onnx");
        OnnxBertExporter.write(exported, onnx);

        OnnxExportParity.Result r = OnnxExportParity.assertOrtMatches(model, onnx, sentences);
        System.out.printf("MiniLM export vs ours: last_hidden_state max |diff| %.2e (real tokens), %.2e (padding)%n",
                r.hiddenDiff(), r.paddingDiff());
        OnnxExportParity.assertReimportEquals(exported, onnx);
        // and the export runs like the original MiniLM file, the third engine on the same tokens
        try (OnnxRuntimeEncoder original = new OnnxRuntimeEncoder(minilm.onnxFile(), 2);
             OnnxRuntimeEncoder ours = new OnnxRuntimeEncoder(onnx, 2)) {
            double d = OnnxExportParity.maxDiff(original.lastHiddenState(sentences), ours.lastHiddenState(sentences),
                    sentences.attentionMask(), 1);
            assertTrue(d <= OnnxExportParity.TOLERANCE, "our export vs the original MiniLM ONNX file: " + d);
        }
    }

    @Test
    void prunedMiniLmExportsOnlyItsLiveLayers(@TempDir Path dir) throws Exception {
        BertModel model = BertModel.fromWeights(minilm.weights());
        model.removeLayer(1);
        model.removeLayer(4);
        BertWeights exported = model.exportWeights();
        Path onnx = dir.resolve("pruned.onnx");
        OnnxBertExporter.write(exported, onnx);

        OnnxModel file = OnnxModelReader.read(onnx);
        assertEquals(4, file.nodes().stream().filter(n -> n.opType().equals("Softmax")).count(), "4 attention layers");
        assertFalse(file.initializers().containsKey("encoder.layer.4.attention.self.query.bias"), "renumbered 0..3");
        assertEquals(17, file.opset());
        OnnxExportParity.assertOrtMatches(model, onnx, sentences);
        OnnxExportParity.assertReimportEquals(exported, onnx);

        Path full = dir.resolve("full.onnx");
        OnnxBertExporter.write(minilm.weights(), full);
        long perLayer = (Files.size(full) - Files.size(onnx)) / 2;
        long layerBytes = 4L * exported.tensors().entrySet().stream().filter(e -> e.getKey().startsWith("layer.0."))
                .mapToLong(e -> e.getValue().size()).sum();
        assertEquals(layerBytes, perLayer, 16384.0, "each removed layer takes its weights out of the file");
    }

    @Test
    void classifierExportsLogitsPoolerAndLabelNames(@TempDir Path dir) {
        List<String> labels = List.of("ham", "spam", "phishing");
        BertModel model = BertModel.forClassification(minilm.weights(), labels, 7, DataType.FLOAT);
        model.removeLayer(2);
        BertWeights exported = model.exportWeights();
        Path onnx = dir.resolve("classifier.onnx");
        OnnxBertExporter.write(exported, onnx);

        OnnxExportParity.Result r = OnnxExportParity.assertOrtMatches(model, onnx, sentences);
        System.out.printf("classifier export: hidden %.2e pooled %.2e logits %.2e%n", r.hiddenDiff(),
                r.pooledDiff(), r.logitsDiff());
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(onnx, 1)) {
            assertEquals("{\"0\":\"ham\",\"1\":\"spam\",\"2\":\"phishing\"}",
                    ort.customMetadata().get(OnnxBertImporter.ID2LABEL), "labels in metadata_props");
        }
        OnnxExportParity.assertReimportEquals(exported, onnx);
        assertEquals(labels, OnnxBertImporter.load(onnx).config().labels());
    }

    /** The other numerics our config knows: Google's tanh GELU with −10000, ReLU, a larger ε. */
    @Test
    void everyActivationMaskAndEpsilonFormRoundTrips(@TempDir Path dir) {
        List<BertConfig> configs = List.of(
                new BertConfig(97, 32, 3, 4, 64, Activation.GELU_TANH, 40, 2, 1e-12, -10000.0, List.of("a", "b")),
                new BertConfig(97, 32, 2, 2, 48, Activation.RELU, 40, 2, 1e-5, -Float.MAX_VALUE, List.of()),
                new BertConfig(97, 24, 2, 3, 40, Activation.GELU_ERF, 40, 3, 1e-7, -1e9, List.of("x", "y", "z")));
        int i = 0;
        for (BertConfig config : configs) {
            TokenBatch batch = randomTokens(config.vocabSize(), config.typeVocabSize());
            BertModel model = BertModel.random(config, 11 + i, DataType.FLOAT);
            BertWeights exported = model.exportWeights();
            Path onnx = dir.resolve("random" + i++ + ".onnx");
            OnnxBertExporter.write(exported, onnx);
            OnnxExportParity.assertOrtMatches(model, onnx, batch);
            OnnxExportParity.assertReimportEquals(exported, onnx);
        }
    }

    @Test
    void exportFolderHoldsTokenizerAndRefusesToOverwrite(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("deploy");
        ModelExport.write(minilm.weights(), minilm.tokenizerFile(), target, ExportFormat.ONNX, false);
        assertTrue(Files.isRegularFile(target.resolve("model.onnx")));
        assertTrue(Files.isRegularFile(target.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(target.resolve("config.json")));
        assertFalse(Files.exists(target.resolve("model.safetensors")));
        long before = Files.size(target.resolve("model.onnx"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelExport.write(
                minilm.weights(), minilm.tokenizerFile(), target, ExportFormat.BOTH, false));
        assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("--overwrite"), e.getMessage());
        assertFalse(Files.exists(target.resolve("model.safetensors")), "the refused export wrote nothing");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "no temporary folder left beside the target");
        }

        ModelExport.write(minilm.weights(), minilm.tokenizerFile(), target, ExportFormat.BOTH, true);
        assertTrue(Files.isRegularFile(target.resolve("model.safetensors")));
        assertEquals(before, Files.size(target.resolve("model.onnx")));
        // the folder loads back as a model by path, through either file
        PretrainedModels.Pretrained reloaded = PretrainedModels.load(target.toString());
        assertEquals(minilm.weights().config().withLabels(List.of()), reloaded.weights().config());
    }

    @Test
    void onnxOnlyFolderLoadsAsAModel(@TempDir Path dir) {
        BertModel model = BertModel.forClassification(minilm.weights(), List.of("neg", "pos"), 3, DataType.FLOAT);
        Path target = dir.resolve("onnx-only");
        ModelExport.write(model.exportWeights(), minilm.tokenizerFile(), target, ExportFormat.ONNX, false);
        PretrainedModels.Pretrained reloaded = PretrainedModels.load(target.toString());
        assertEquals(List.of("neg", "pos"), reloaded.weights().config().labels());
        assertEquals(target.resolve("model.onnx"), reloaded.onnxFile());
        assertEquals(model.exportWeights().tensors(), reloaded.weights().tensors());
    }

    private static TokenBatch randomTokens(int vocab, int types) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        int[] lengths = {12, 3, 7, 12, 1};
        int[][] ids = new int[lengths.length][12];
        int[][] typeIds = new int[lengths.length][12];
        int[][] mask = new int[lengths.length][12];
        for (int r = 0; r < lengths.length; r++) {
            for (int t = 0; t < lengths[r]; t++) {
                ids[r][t] = 1 + random.nextInt(vocab - 1);
                typeIds[r][t] = t >= lengths[r] / 2 ? Math.min(types - 1, 1 + r % (types - 1)) : 0;
                mask[r][t] = 1;
            }
        }
        return new TokenBatch(ids, typeIds, mask);
    }
}
