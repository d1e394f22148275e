package org.layerfuse.weights.onnx;

import org.layerfuse.engine.CacheDirectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.artifact.MiniLmArtifact;

/**
 * The real MiniLM: imported into LayerFuse's SameDiff model, its last hidden state matches ONNX
 * Runtime's on the same ONNX file for real sentences of different lengths, padded in one batch.
 * Token ids come from Hugging Face's own tokenizer (DJL), independent of LayerFuse's.
 */
class MiniLmParityTest {

    private static final List<String> SENTENCES = List.of(
            "hello world",
            "The quick brown fox jumps over the lazy dog.",
            "Layer pruning removes whole transformer blocks from a pretrained encoder.",
            "Is this e-mail spam?",
            "Congratulations! You have won a FREE cruise to the Bahamas, click here to claim your prize now!!!",
            "I'll be late for the meeting tomorrow; please start without me.",
            "naïve café",
            "unaffable",
            "Tokenizers split rare words like electroencephalography into word pieces.",
            "Prices rose 3.5% in 2023, while wages grew by only 2.1 percent.",
            "OK",
            "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
            "Distillation trains a small student to imitate a large teacher's softened predictions.",
            "Where is the nearest train station?",
            "def main(args): return sum(x * x for x in args)",
            "The committee, after much deliberation and several heated debates that lasted well into the night,"
                    + " finally agreed to postpone the vote until the next quarterly meeting in the spring.");
    /** Sentence pairs: the second segment has token type 1. */
    private static final List<List<String>> PAIRS = List.of(
            List.of("How old are you?", "I am twenty-seven years old."),
            List.of("The weather is lovely today.", "It is raining heavily outside."));

    @Test
    void lastHiddenStateMatchesOnnxRuntime() throws Exception {
        MiniLmArtifact.ModelFiles files = MiniLmArtifact.files();
        TokenBatch batch = tokenize(files);
        assertTrue(batch.batchSize() >= 18);

        float[][][] expected;
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(files.onnx(), 2)) {
            expected = ort.lastHiddenState(batch);
        }
        BertModel model = BertModel.fromWeights(OnnxBertImporter.load(files.onnx()));
        float[][][] actual = OnnxImportParityTest.sequenceOutput(model, batch);

        double maxDiff = 0;
        double maxAbs = 0;
        for (int r = 0; r < batch.batchSize(); r++) {
            int real = (int) java.util.Arrays.stream(batch.attentionMask()[r]).sum();
            maxDiff = Math.max(maxDiff, OnnxRuntimeEncoderTest.maxDiff(expected[r], actual[r], real));
            for (int t = 0; t < real; t++) {
                for (float v : expected[r][t]) {
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
            }
        }
        System.out.printf("MiniLM %d x %d tokens (%d real): max |ours - ORT| = %.3g, max |ORT| = %.3g%n",
                batch.batchSize(), batch.seqLen(), batch.realTokens(), maxDiff, maxAbs);
        assertTrue(maxAbs > 0.5, "outputs are not trivially small");
        // README states max |difference| ≈ 5e-6 for this check; 1e-5 leaves a 2x margin for float32 summation order.
        assertTrue(maxDiff <= 1e-5, "max |ours - ORT| = " + maxDiff + " (README: ≈ 5e-6)");
    }

    /**
     * The forward on the real tokens alone ({@code BertModel.forwardPacked}: padding not computed)
     * against ONNX Runtime, which computes the padded batch: the real tokens' last hidden states
     * agree to the same 1e-5, and padding's rows are 0 (the batch was packed).
     */
    @Test
    void packedForwardMatchesOnnxRuntimeOnTheRealTokens() throws Exception {
        MiniLmArtifact.ModelFiles files = MiniLmArtifact.files();
        TokenBatch batch = tokenize(files);
        float[][][] expected;
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(files.onnx(), 2)) {
            expected = ort.lastHiddenState(batch);
        }
        BertModel model = BertModel.fromWeights(OnnxBertImporter.load(files.onnx()));
        float[][][] actual = OnnxImportParityTest.sequenceOutput(model.forwardPacked(batch).sequenceOutput(), batch,
                model);
        double maxDiff = 0;
        int paddingRows = 0;
        for (int r = 0; r < batch.batchSize(); r++) {
            int real = (int) java.util.Arrays.stream(batch.attentionMask()[r]).sum();
            maxDiff = Math.max(maxDiff, OnnxRuntimeEncoderTest.maxDiff(expected[r], actual[r], real));
            for (int t = real; t < batch.seqLen(); t++, paddingRows++) {
                for (float v : actual[r][t]) {
                    assertEquals(0f, v, "padding's row " + t + " of sequence " + r + " is not computed");
                }
            }
        }
        assertTrue(paddingRows > batch.batchSize(), "the batch has padding to leave out: " + paddingRows + " rows");
        System.out.printf("MiniLM real tokens alone: max |ours - ORT| = %.3g%n", maxDiff);
        assertTrue(maxDiff <= 1e-5, "max |ours (packed) - ORT| = " + maxDiff);
    }

    /** Hugging Face's tokenizer on each text, unpadded, then padded to the longest row. */
    private static TokenBatch tokenize(MiniLmArtifact.ModelFiles files) throws Exception {
        if (System.getenv("DJL_CACHE_DIR") == null && System.getProperty("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", CacheDirectory.root().resolve("djl").toString());
        }
        System.setProperty("ai.djl.offline", "true");
        List<Encoding> encodings = new ArrayList<>();
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(files.tokenizerJson(),
                Map.of("padding", "false", "truncation", "false"))) {
            for (String s : SENTENCES) {
                encodings.add(tokenizer.encode(s));
            }
            for (List<String> pair : PAIRS) {
                encodings.add(tokenizer.encode(pair.get(0), pair.get(1)));
            }
        }
        int seq = encodings.stream().mapToInt(e -> e.getIds().length).max().orElseThrow();
        int[][] ids = new int[encodings.size()][seq];
        int[][] types = new int[encodings.size()][seq];
        int[][] mask = new int[encodings.size()][seq];
        for (int r = 0; r < encodings.size(); r++) {
            long[] e = encodings.get(r).getIds();
            long[] t = encodings.get(r).getTypeIds();
            for (int i = 0; i < e.length; i++) {
                ids[r][i] = Math.toIntExact(e[i]);
                types[r][i] = Math.toIntExact(t[i]);
                mask[r][i] = 1;
            }
        }
        assertEquals(List.of(101L, 7592L, 2088L, 102L), java.util.Arrays.stream(encodings.get(0).getIds()).boxed()
                .toList(), "[CLS] hello world [SEP]");
        return new TokenBatch(ids, types, mask);
    }
}
