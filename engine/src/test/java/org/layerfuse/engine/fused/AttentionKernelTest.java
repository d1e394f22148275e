package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AttentionKernel} against the double loops of {@link ScalarTransformerKernels#attention}:
 * sequence lengths and head sizes that are not multiples of the vector width (padding) or of
 * the four-row blocking, padded keys with both mask constants, sequences at an offset.
 */
class AttentionKernelTest {

    static Stream<Arguments> shapes() {
        int lanes = TransformerKernels.LANES;
        return Stream.of(Arguments.of(1, 1, 4), Arguments.of(3, 2, 5), Arguments.of(7, 3, 8),
                Arguments.of(lanes + 1, 2, lanes), Arguments.of(32, 12, 32), Arguments.of(2 * lanes + 3, 2, 64),
                Arguments.of(128, 2, 64));
    }

    /** The same shapes, for {@link BackwardKernelsTest}. */
    Stream<Arguments> shapesForBackward() {
        return shapes();
    }

    @ParameterizedTest(name = "S={0} heads={1} d={2}")
    @MethodSource("shapes")
    void matchesScalarReference(int s, int heads, int d) {
        int h = heads * d;
        int off = 3 * h;
        int n = off + s * h;
        float[] q = FusedCases.uniform(n, 1, 1 + s);
        float[] k = FusedCases.uniform(n, 1, 2 + s);
        float[] v = FusedCases.uniform(n, 1, 3 + s);
        float[] mask = new float[s + 1];
        for (int j = 1; j < s; j++) {
            mask[1 + j] = j % 4 == 3 ? -10000f : j % 5 == 4 ? -Float.MAX_VALUE : 0f;
        }
        float scale = (float) (1 / Math.sqrt(d));
        float[] ctx = new float[2 + s * h];
        float[] probs = new float[1 + heads * s * s];
        AttentionKernel.sequence(q, k, v, off, s, heads, d, scale, mask, 1, ctx, 2, probs, 1,
                new float[AttentionKernel.workSize(s, d) + 9]);

        double[] refCtx = new double[ctx.length];
        double[] refProbs = new double[probs.length];
        ScalarTransformerKernels.attention(FusedCases.toDouble(q), FusedCases.toDouble(k), FusedCases.toDouble(v), off,
                s, heads, d, scale, FusedCases.toDouble(mask), 1, refCtx, 2, refProbs, 1);
        assertTrue(FusedCases.worst(ctx, refCtx, 1e-6, 1e-5) <= 1, "context");
        assertTrue(FusedCases.worst(probs, refProbs, 1e-7, 1e-5) <= 1, "probabilities");
    }

    @ParameterizedTest(name = "S={0} heads={1} d={2}")
    @MethodSource("shapes")
    void probabilitiesAreOptional(int s, int heads, int d) {
        int h = heads * d;
        float[] q = FusedCases.uniform(s * h, 1, 4);
        float[] ctx = new float[s * h];
        AttentionKernel.sequence(q, q, q, 0, s, heads, d, 1f, new float[s], 0, ctx, 0, null, 0,
                new float[AttentionKernel.workSize(s, d)]);
        double[] ref = new double[s * h];
        double[] qd = FusedCases.toDouble(q);
        ScalarTransformerKernels.attention(qd, qd, qd, 0, s, heads, d, 1, new double[s], 0, ref, 0, null, 0);
        assertTrue(FusedCases.worst(ctx, ref, 1e-6, 1e-5) <= 1);
    }

    /**
     * The softmax over the keys of transposed scores (a key per row, a query per column) against
     * a float64 softmax of the same floats, with both mask constants, a fully masked key and
     * padding columns; each real column sums to 1.
     */
    @ParameterizedTest(name = "S={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3, 8, 13, 32, 70})
    void softmaxOverTheKeysMatchesFloat64(int s) {
        int sp = (s + TransformerKernels.LANES - 1) / TransformerKernels.LANES * TransformerKernels.LANES;
        int off = 5;
        float[] x = FusedCases.uniform(off + s * sp, 6, 7 + s);
        float[] mask = new float[2 + s];
        for (int j = 0; j < s; j++) {
            mask[2 + j] = j % 4 == 3 ? -10000f : j % 5 == 4 ? -Float.MAX_VALUE : 0f;
        }
        float[] before = x.clone();
        float scale = 0.17f;
        AttentionKernel.softmaxKeys(x, off, s, sp, scale, mask, 2);
        for (int i = 0; i < s; i++) {
            double max = Double.NEGATIVE_INFINITY;
            double[] e = new double[s];
            for (int j = 0; j < s; j++) {
                e[j] = (double) (before[off + j * sp + i] * scale) + mask[2 + j];
                max = Math.max(max, e[j]);
            }
            double sum = 0;
            for (int j = 0; j < s; j++) {
                e[j] = Math.exp(e[j] - max);
                sum += e[j];
            }
            double total = 0;
            for (int j = 0; j < s; j++) {
                float got = x[off + j * sp + i];
                total += got;
                org.junit.jupiter.api.Assertions.assertEquals(e[j] / sum, got, 1e-6,
                        "S=" + s + ": probability of key " + j + " for query " + i);
            }
            org.junit.jupiter.api.Assertions.assertEquals(1.0, total, 1e-5, "S=" + s + ": column " + i + " sums to 1");
        }
        for (int i = 0; i < off; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(before[i], x[i], "before the block: untouched");
        }
    }

    /**
     * Bit for bit the per-sequence kernel's softmax: with one head of width 1 each score is one
     * product, k[j]·q[i], which both compute alike, so the probabilities must agree exactly.
     */
    @ParameterizedTest(name = "S={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 5, 32, 45})
    void softmaxOverTheKeysHasTheKernelsBits(int s) {
        int sp = (s + TransformerKernels.LANES - 1) / TransformerKernels.LANES * TransformerKernels.LANES;
        float[] q = FusedCases.uniform(s, 3, 11 + s);
        float[] k = FusedCases.uniform(s, 3, 12 + s);
        float[] mask = new float[s];
        for (int j = 0; j < s; j++) {
            mask[j] = j % 3 == 2 ? -10000f : 0f;
        }
        float scale = 0.7f;
        float[] probs = new float[s * s];
        AttentionKernel.sequence(q, k, k, 0, s, 1, 1, scale, mask, 0, new float[s], 0, probs, 0,
                new float[AttentionKernel.workSize(s, 1)]);
        float[] x = new float[s * sp];
        for (int j = 0; j < s; j++) {
            for (int i = 0; i < s; i++) {
                x[j * sp + i] = k[j] * q[i];
            }
        }
        AttentionKernel.softmaxKeys(x, 0, s, sp, scale, mask, 0);
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(probs[i * s + j]),
                        Float.floatToRawIntBits(x[j * sp + i]), "S=" + s + ": key " + j + ", query " + i);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void softmaxRejectsRowsThatAreNotWholeVectors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionKernel.softmaxKeys(new float[64], 0, 4, TransformerKernels.LANES + 1, 1f, new float[4],
                        0));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void tooSmallWorkArrayIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> AttentionKernel.sequence(new float[64], new float[64],
                new float[64], 0, 4, 2, 8, 1f, new float[4], 0, new float[64], 0, null, 0, new float[8]));
    }
}
