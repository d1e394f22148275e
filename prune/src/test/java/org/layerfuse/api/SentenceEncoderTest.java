package org.layerfuse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.SampleSentences;
import org.layerfuse.bert.tokenizer.Padding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;

/**
 * {@link SentenceEncoder} on the embedded all-MiniLM-L6-v2 against an independent reference:
 * ONNX Runtime on the same ONNX file, mean over the real tokens and L2 normalisation written
 * out here (sentence-transformers' Pooling + Normalize modules).
 */
class SentenceEncoderTest {

    @Test
    void miniLmVectorsMatchOnnxRuntimeWithMeanPoolingAndL2() {
        List<String> sentences = SampleSentences.load();
        PretrainedModels.Pretrained minilm = PretrainedModels.load("minilm");
        float[][] reference = new float[sentences.size()][];
        TokenBatch tokens = minilm.tokenizer().batch(sentences, 512, Padding.LONGEST);
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(minilm.onnxFile(), 2)) {
            float[][][] hidden = ort.lastHiddenState(tokens);
            for (int i = 0; i < sentences.size(); i++) {
                reference[i] = meanThenL2(hidden[i], tokens.attentionMask()[i]);
            }
        }
        try (SentenceEncoder encoder = SentenceEncoder.load("minilm")) {
            assertEquals(SentencePooling.MINILM, encoder.pooling());
            assertEquals(384, encoder.dimension());
            List<float[]> vectors = encoder.encode(sentences);
            double worst = 1;
            for (int i = 0; i < sentences.size(); i++) {
                double cosine = dot(vectors.get(i), reference[i]) / Math.sqrt(dot(reference[i], reference[i]));
                worst = Math.min(worst, cosine);
                assertEquals(1.0, dot(vectors.get(i), vectors.get(i)), 1e-5, "unit length");
                assertTrue(cosine >= 0.9999, "sentence " + i + ": cosine " + cosine);
            }
            System.out.printf("SentenceEncoder vs ORT + mean + L2 on %d sentences: min cosine %.8f%n",
                    sentences.size(), worst);
            // similar sentences are closer than unrelated ones (a sanity check of the vectors' use)
            List<float[]> v = encoder.encode(List.of("A man is eating food.", "Someone is having a meal.",
                    "The stock market fell sharply today."));
            assertTrue(dot(v.get(0), v.get(1)) > dot(v.get(0), v.get(2)) + 0.2);
        }
    }

    @Test
    void onnxRuntimeEngineGivesTheFusedVectorsFromManyThreads() throws Exception {
        List<String> sentences = SampleSentences.load();
        List<float[]> fused;
        try (SentenceEncoder encoder = SentenceEncoder.load("minilm")) {
            fused = encoder.encode(sentences);
        }
        InferenceOptions ort = InferenceOptions.defaults().withBatchSize(8)
                .withEngine(InferenceOptions.Engine.ONNX_RUNTIME);
        try (SentenceEncoder encoder = SentenceEncoder.load("minilm", ort)) {
            assertEquals(384, encoder.dimension());
            List<float[]> alone = encoder.encode(sentences);
            double worst = 0;
            for (int i = 0; i < sentences.size(); i++) {
                for (int j = 0; j < 384; j++) {
                    worst = Math.max(worst, Math.abs(alone.get(i)[j] - fused.get(i)[j]));
                }
                assertTrue(dot(alone.get(i), fused.get(i)) >= 0.99999, "sentence " + i);
            }
            System.out.printf("SentenceEncoder, ONNX Runtime engine against the fused one: max |diff| %.2e%n", worst);
            assertTrue(worst <= 1e-5, "max |diff| " + worst);
            assertSameFromThreads(encoder, sentences, alone, 3);
        }
    }

    @Test
    void manyThreadsAtOnceGetTheVectorsOfOne() throws Exception {
        List<String> sentences = SampleSentences.load();
        try (SentenceEncoder encoder = SentenceEncoder.load("minilm",
                InferenceOptions.defaults().withBatchSize(8).withParallelism(2))) {
            assertSameFromThreads(encoder, sentences, encoder.encode(sentences), 4);
        }
    }

    /** {@code threads} threads encoding {@code sentences} at once each get {@code alone}'s vectors. */
    private static void assertSameFromThreads(SentenceEncoder encoder, List<String> sentences, List<float[]> alone,
                                              int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<float[]>>> runs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                runs.add(pool.submit(() -> encoder.encode(sentences)));
            }
            for (Future<List<float[]>> run : runs) {
                List<float[]> got = run.get();
                for (int i = 0; i < sentences.size(); i++) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(alone.get(i), got.get(i), 1e-6f,
                            "sentence " + i);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void poolingFollowsSentenceTransformersFiles(@TempDir Path dir) throws Exception {
        assertEquals(new SentencePooling(SentencePooling.Mode.MEAN, false), SentencePooling.read(dir),
                "a plain transformer folder: mean, not normalised");
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]""");
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"),
                "{\"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
        assertEquals(new SentencePooling(SentencePooling.Mode.CLS, true), SentencePooling.read(dir));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_max_tokens\": true}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SentencePooling.read(dir));
        assertTrue(e.getMessage().contains("pooling_mode_max_tokens is not supported"), e.getMessage());

        // the pooling itself on a hand-made [2, 3, 2] output: row 1 has one padding token
        float[] hidden = {1, 2, 3, 4, 100, 100, /* row 1 */ 5, 6, 7, 8, 9, 9};
        int[] mask = {1, 1, 0};
        SentencePooling mean = new SentencePooling(SentencePooling.Mode.MEAN, false);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {6, 7}, mean.pool(hidden, 1, 3, 2, mask));
        SentencePooling cls = new SentencePooling(SentencePooling.Mode.CLS, true);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.6f, 0.8f},
                cls.pool(new float[] {3, 4, 1, 1}, 0, 2, 2, new int[] {1, 1}), 1e-7f);
    }

    @Test
    void badInputsAreRefused() {
        try (SentenceEncoder encoder = SentenceEncoder.load("minilm")) {
            assertThrows(IllegalArgumentException.class, () -> encoder.encode(List.of()));
            assertThrows(IllegalArgumentException.class, () -> encoder.encode(null));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.encode(java.util.Arrays.asList(null, "x")));
            assertTrue(e.getMessage().contains("text 0 is null"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SentenceEncoder.load("no-such-model"));
    }

    private static float[] meanThenL2(float[][] tokens, int[] mask) {
        double[] sum = new double[tokens[0].length];
        int n = 0;
        for (int t = 0; t < tokens.length; t++) {
            if (mask[t] == 1) {
                n++;
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += tokens[t][j];
                }
            }
        }
        double norm = 0;
        for (int j = 0; j < sum.length; j++) {
            sum[j] /= n;
            norm += sum[j] * sum[j];
        }
        float[] out = new float[sum.length];
        for (int j = 0; j < sum.length; j++) {
            out[j] = (float) (sum[j] / Math.sqrt(norm));
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * (double) b[i];
        }
        return s;
    }
}
