package org.layerfuse.prune.export;

import org.layerfuse.bert.BitwiseArrays;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.layerfuse.prune.graft.GraftHealer;
import org.layerfuse.prune.graft.GraftOptions;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.TinyTask;
import org.layerfuse.weights.hf.HuggingFaceFolder;
import org.layerfuse.weights.hf.HuggingFaceFolderWriter;
import org.layerfuse.weights.onnx.OnnxBertExporter;
import org.layerfuse.weights.onnx.OnnxBertImporter;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A pruned model written as a Hugging Face folder reloads as a plain shallower BERT with the same outputs. */
class ExportTest {

    @Test
    void exportedPrunedModelReloadsWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        BertModel model = TinyTask.trainedModel();
        model.removeLayer(1);
        model.removeLayer(3);
        EncodedExamples data = TinyTask.examples(32, 41);
        INDArray expected = model.forward(data.tokens()).logits();

        Path folder = dir.resolve("pruned");
        HuggingFaceFolderWriter.write(model.exportWeights(), null, folder, false);
        assertEquals(2, new ObjectMapper().readTree(folder.resolve("config.json").toFile()).get("num_hidden_layers")
                .asInt());
        BertWeights reloaded = HuggingFaceFolder.load(folder);
        assertEquals(2, reloaded.config().numHiddenLayers());
        // renumbered: old layer 2 is new layer 1
        BitwiseArrays.assertBitwiseEqual(model.parameter(ParamNames.LayerMatrix.QUERY.kernel(2)),
                toArray(reloaded, ParamNames.LayerMatrix.QUERY.kernel(1)), "renumbered query kernel");
        BertModel plain = BertModel.fromWeights(reloaded);
        BitwiseArrays.assertBitwiseEqual(expected, plain.forward(data.tokens()).logits(), "identical logits after export and reload");
        assertArrayEquals(new int[] {0, 1}, plain.liveLayers());
        assertEquals(model.parameterCount(), plain.parameterCount());
        assertTrue(plain.sameDiff().getOps().size() <= model.sameDiff().getOps().size(),
                "the exported graph has no extra ops");
    }

    /**
     * No hidden cost of grafting: after the coefficients are folded, the exported model has the
     * config, parameter names and shapes, parameter count and graph of the plainly pruned
     * model of the same depth; only the values of the window's matrices differ.
     */
    @Test
    void graftedModelExportsExactlyLikeAPlainlyPrunedOneAndToOnnx(@TempDir Path dir) throws Exception {
        BertModel plain = TinyTask.trainedModel();
        BertModel grafted = plain.copy();
        plain.removeLayer(2);
        grafted.removeLayer(2);
        new GraftHealer(TinyTask.examples(32, 42), GraftOptions.defaults().withEpochs(1).withBatchSize(16))
                .heal(grafted, 2, 1);
        BertWeights a = plain.exportWeights();
        BertWeights b = grafted.exportWeights();
        assertEquals(a.config(), b.config());
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        for (String n : a.tensors().keySet()) {
            assertArrayEquals(a.get(n).shape(), b.get(n).shape(), n);
        }
        BertModel reloadedPlain = BertModel.fromWeights(a);
        BertModel reloadedGrafted = BertModel.fromWeights(b);
        assertEquals(reloadedPlain.parameterCount(), reloadedGrafted.parameterCount());
        EncodedExamples data = TinyTask.examples(8, 43);
        reloadedPlain.forward(data.tokens());
        reloadedGrafted.forward(data.tokens());
        assertEquals(reloadedPlain.sameDiff().getOps().size(), reloadedGrafted.sameDiff().getOps().size(),
                "the same graph");
        assertTrue(toArray(a, ParamNames.LayerMatrix.QUERY.kernel(1)).neq(toArray(b, ParamNames.LayerMatrix.QUERY
                .kernel(1))).any(), "the grafted window's weights changed");
        assertOnnxExportMatches(grafted, dir);
    }

    /**
     * A grafted model (window coefficients folded into its weights) exports to ONNX as a plain
     * shallower BERT (checked on the grafted model of the test above, to train it once): ONNX Runtime gives our hidden states and logits, the same classes, and the
     * importer reads back exactly the exported weights.
     */
    private static void assertOnnxExportMatches(BertModel grafted, Path dir) {
        BertWeights exported = grafted.exportWeights();
        Path onnx = dir.resolve("grafted.onnx");
        OnnxBertExporter.write(exported, onnx);

        EncodedExamples data = TinyTask.examples(32, 44);
        org.layerfuse.bert.Forward ours = grafted.forward(data.tokens());
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(onnx, 2)) {
            float[][] logits = ort.matrix(data.tokens(), "logits");
            float[][] expected = ours.logitsArray();
            double maxLogit = 0;
            for (int i = 0; i < logits.length; i++) {
                int best = 0;
                for (int k = 0; k < logits[i].length; k++) {
                    maxLogit = Math.max(maxLogit, Math.abs(logits[i][k] - expected[i][k]));
                    best = logits[i][k] > logits[i][best] ? k : best;
                }
                assertEquals(ours.predictions()[i], best, "arg-max of example " + i);
            }
            float[][][] hidden = ort.lastHiddenState(data.tokens());
            float[] flat = ours.sequenceOutput().dup('c').data().asFloat();
            int s = data.tokens().seqLen();
            int h = grafted.config().hiddenSize();
            double maxHidden = 0;
            for (int i = 0; i < hidden.length; i++) {
                for (int t = 0; t < s; t++) {
                    if (data.tokens().attentionMask()[i][t] == 1) {
                        for (int j = 0; j < h; j++) {
                            maxHidden = Math.max(maxHidden, Math.abs(hidden[i][t][j] - flat[(i * s + t) * h + j]));
                        }
                    }
                }
            }
            System.out.printf("grafted model ONNX vs ours: logits %.2e, hidden %.2e%n", maxLogit, maxHidden);
            assertTrue(maxLogit <= 1e-4 && maxHidden <= 1e-4, maxLogit + " " + maxHidden);
        }
        BertWeights back = OnnxBertImporter.load(onnx);
        assertEquals(exported.config(), back.config());
        for (String n : exported.tensors().keySet()) {
            assertTrue(java.util.Arrays.equals(exported.get(n).data(), back.get(n).data()), n);
        }
    }

    private static INDArray toArray(BertWeights w, String name) {
        return org.nd4j.linalg.factory.Nd4j.create(w.get(name).data(), w.get(name).shape(), 'c');
    }
}
