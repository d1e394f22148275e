package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.SampleSentences;
import org.layerfuse.bert.tokenizer.Padding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.tokenizer.WordPieceTokenizer;
import org.layerfuse.weights.tf.BertBaseFixture;

/**
 * Google's BERT-base (tanh GELU, mask −10000, with a pooler), exported to ONNX: ONNX Runtime's
 * last hidden state and pooler output match our model on the real sample sentences, and the
 * importer reads the 440 MB file back bit for bit.
 */
class BertBaseOnnxExportTest {

    @Test
    void bertBaseExportMatchesOnnxRuntimeAndReimportsExactly(@TempDir Path dir) throws Exception {
        BertWeights weights = BertBaseFixture.weights();
        assertEquals(Activation.GELU_TANH, weights.config().hiddenAct());
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromVocabTxt(
                BertBaseFixture.savedModelDir().resolve("assets/vocab.txt"), true);
        TokenBatch batch = tokenizer.batch(SampleSentences.load().subList(0, 16), 64, Padding.LONGEST);
        BertModel model = BertModel.fromWeights(weights);
        Path onnx = dir.resolve("bert-base.onnx");
        long t0 = System.nanoTime();
        OnnxBertExporter.write(weights, onnx);
        System.out.printf("BERT-base ONNX export: %.1f s, %.1f MB%n", (System.nanoTime() - t0) / 1e9,
                Files.size(onnx) / 1e6);
        OnnxExportParity.Result r = OnnxExportParity.assertOrtMatches(model, onnx, batch);
        System.out.printf("BERT-base export vs ours: hidden %.2e (padding %.2e), pooled %.2e%n", r.hiddenDiff(),
                r.paddingDiff(), r.pooledDiff());
        OnnxExportParity.assertReimportEquals(weights, onnx);
        assertEquals(List.of(), OnnxBertImporter.load(onnx).config().labels());
    }
}
