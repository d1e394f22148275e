package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.onnx.TinyBertOnnx.Layout;
import org.layerfuse.weights.onnx.TinyBertOnnx.Options;

/**
 * Imported tiny BERTs of every export variant run in LayerFuse's model give what ONNX Runtime
 * gives on the same file: a check of the layouts, GELU forms, epsilons and mask values together.
 */
class OnnxImportParityTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> variants() {
        Options hf = Options.huggingFace();
        return Stream.of(
                Arguments.of("matmul-erf", hf),
                Arguments.of("transpose-tanh-fusedLN", hf.layout(Layout.TRANSPOSE_OUT_IN)
                        .variant(Activation.GELU_TANH, true, true, "bert.", 1e-5f, -10000f, true)),
                Arguments.of("gemm-erf-pooler", hf.layout(Layout.GEMM_OUT_IN)
                        .variant(Activation.GELU_ERF, false, true, "", 1e-7f, -Float.MAX_VALUE, true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void ourModelMatchesOnnxRuntime(String name, Options options) {
        Path file = TinyBertOnnx.build(options, name.hashCode()).write(tmp.resolve(name + ".onnx"));
        TokenBatch batch = randomBatch(new int[] {6, 2, 4}, 6, new SplittableRandom(name.hashCode()));
        float[][][] expected;
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(file, 1)) {
            expected = ort.lastHiddenState(batch);
        }
        float[][][] actual = sequenceOutput(BertModel.fromWeights(OnnxBertImporter.load(file)), batch);
        double max = 0;
        for (int r = 0; r < batch.batchSize(); r++) {
            int real = (int) java.util.Arrays.stream(batch.attentionMask()[r]).sum();
            max = Math.max(max, OnnxRuntimeEncoderTest.maxDiff(expected[r], actual[r], real));
        }
        System.out.printf("%s: max |ours - ORT| = %.3g%n", name, max);
        assertTrue(max <= 1e-5, name + ": max |ours - ORT| = " + max);
    }

    static float[][][] sequenceOutput(BertModel model, TokenBatch batch) {
        return sequenceOutput(model.forward(batch).sequenceOutput(), batch, model);
    }

    /** A {@code [B, S, H]} sequence output as Java arrays. */
    static float[][][] sequenceOutput(org.nd4j.linalg.api.ndarray.INDArray out, TokenBatch batch, BertModel model) {
        int b = batch.batchSize();
        int s = batch.seqLen();
        int h = model.config().hiddenSize();
        float[] flat = out.dup('c').data().asFloat();
        float[][][] r = new float[b][s][h];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < s; t++) {
                System.arraycopy(flat, (i * s + t) * h, r[i][t], 0, h);
            }
        }
        return r;
    }

    /** Rows of the given real lengths padded to {@code seq}, ids in the tiny vocabulary, two segments. */
    private static TokenBatch randomBatch(int[] lengths, int seq, SplittableRandom random) {
        int[][] ids = new int[lengths.length][seq];
        int[][] types = new int[lengths.length][seq];
        int[][] mask = new int[lengths.length][seq];
        for (int r = 0; r < lengths.length; r++) {
            for (int t = 0; t < lengths[r]; t++) {
                ids[r][t] = 1 + random.nextInt(TinyBertOnnx.VOCAB - 1);
                types[r][t] = t >= lengths[r] / 2 ? 1 : 0;
                mask[r][t] = 1;
            }
        }
        return new TokenBatch(ids, types, mask);
    }
}
