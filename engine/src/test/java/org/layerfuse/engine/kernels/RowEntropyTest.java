package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RowEntropy} against {@link ScalarKernels#rowEntropies} (double, Math.log) and closed
 * forms. Rows are at most a few dozen floats summed in float lanes with a float log within
 * 1 ulp: tolerance relative 1e-5 plus 1e-6 absolute per row entropy.
 */
class RowEntropyTest {

    private static final float EPS = VectorKernels.DEFAULT_EPS;

    static IntStream rowLengths() {
        int l = VectorKernels.LANES;
        return IntStream.of(1, l - 1, l, l + 1, 32, 33, 4 * l + 3).filter(n -> n > 0).distinct();
    }

    /** Softmax rows of N(0, 2²) logits, rows·rowLength floats. */
    static float[] softmaxRows(int rows, int rowLength, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] p = new float[rows * rowLength];
        for (int i = 0; i < rows; i++) {
            double z = 0;
            double[] e = new double[rowLength];
            for (int j = 0; j < rowLength; j++) {
                e[j] = Math.exp(2 * KernelCases.gaussian(r));
                z += e[j];
            }
            for (int j = 0; j < rowLength; j++) {
                p[i * rowLength + j] = (float) (e[j] / z);
            }
        }
        return p;
    }

    static float[] zeroOneMask(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = r.nextDouble() < 0.7 ? 1f : 0f;
        }
        return m;
    }

    @ParameterizedTest(name = "rowLength={0}")
    @MethodSource("rowLengths")
    void entropiesMatchScalarReference(int rowLength) {
        int rows = 97;
        int from = 5;
        float[] p = KernelCases.padded(softmaxRows(rows, rowLength, rowLength), from);
        float[] columnMask = zeroOneMask(((rows + 4) / 5) * rowLength, 11);
        for (float[] mask : new float[][] {null, columnMask}) {
            float[] got = new float[rows];
            double[] want = new double[rows];
            RowEntropy.entropies(p, from, rows, rowLength, mask, 5, EPS, got);
            ScalarKernels.rowEntropies(p, from, rows, rowLength, mask, 5, EPS, want);
            for (int r = 0; r < rows; r++) {
                assertEquals(want[r], got[r], 1e-5 * Math.abs(want[r]) + 1e-6, "row " + r + " mask " + (mask != null));
            }
        }
    }

    @ParameterizedTest(name = "rowLength={0}")
    @MethodSource("rowLengths")
    void maskedMeanMatchesScalarReference(int rowLength) {
        int rows = 120;
        float[] p = softmaxRows(rows, rowLength, 3);
        float[] columnMask = zeroOneMask(((rows + 7) / 8) * rowLength, 4);
        float[] rowMask = zeroOneMask(rows, 5);
        rowMask[0] = 1f;
        for (float[] cm : new float[][] {null, columnMask}) {
            for (float[] rm : new float[][] {null, rowMask}) {
                double want = ScalarKernels.maskedMeanRowEntropy(p, 0, rows, rowLength, cm, 8, rm, EPS);
                double got = RowEntropy.maskedMean(p, 0, rows, rowLength, cm, 8, rm, EPS);
                assertEquals(want, got, 1e-5 * Math.abs(want) + 1e-6);
            }
        }
    }

    @Test
    void uniformRowsHaveEntropyLogN() {
        for (int n : new int[] {1, 2, 7, 8, 9, 32, 100, 1000}) {
            float[] p = new float[3 * n];
            java.util.Arrays.fill(p, 1f / n);
            float[] h = new float[3];
            RowEntropy.entropies(p, 0, 3, n, null, 1, EPS, h);
            for (float v : h) {
                assertEquals(Math.log(n), v, 1e-5 * Math.log(n) + 1e-6, "n=" + n);
            }
        }
        // a one-hot row has entropy 0
        float[] oneHot = new float[40];
        oneHot[17] = 1f;
        float[] h = new float[1];
        RowEntropy.entropies(oneHot, 0, 1, 40, null, 1, EPS, h);
        assertEquals(0.0, h[0], 1e-6);
    }

    /**
     * Attention [batch][heads][seq][seq] where each valid query attends uniformly to the valid
     * keys of its example (entropy log(valid_b)) and padded query rows hold junk: the masked
     * mean is Σ_b valid_b·log(valid_b) / Σ_b valid_b.
     */
    @Test
    void attentionMaskKeepsValidQueriesAndKeys() {
        int batch = 3;
        int heads = 4;
        int seq = 11;
        int[] valid = {11, 4, 7};
        float[] tokenMask = new float[batch * seq];
        float[] probs = new float[batch * heads * seq * seq];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seq; i++) {
                tokenMask[b * seq + i] = i < valid[b] ? 1f : 0f;
            }
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < seq; i++) {
                    for (int j = 0; j < seq; j++) {
                        int at = ((b * heads + h) * seq + i) * seq + j;
                        // valid query: uniform over valid keys, a little junk on padded keys (masked out);
                        // padded query: junk everywhere (the row mask drops it)
                        probs[at] = i < valid[b] ? (j < valid[b] ? 1f / valid[b] : 0.3f) : 0.9f;
                    }
                }
            }
        }
        double want = 0;
        int validRows = 0;
        for (int b = 0; b < batch; b++) {
            want += valid[b] * Math.log(valid[b]);
            validRows += valid[b];
        }
        want /= validRows;
        float[] rowMask = RowEntropy.attentionRowMask(tokenMask, batch, heads, seq);
        double got = RowEntropy.maskedMean(probs, 0, batch * heads * seq, seq, tokenMask, heads * seq, rowMask, EPS);
        assertEquals(want, got, 1e-5 * want);
    }

    @Test
    void nanIsRejectedWithIndex() {
        int rowLength = 2 * VectorKernels.LANES + 3;
        float[] p = softmaxRows(6, rowLength, 9);
        for (int at : new int[] {0, rowLength + 1, 3 * rowLength - 1, 6 * rowLength - 1}) {
            float[] q = p.clone();
            q[at] = Float.NaN;
            for (Runnable run : new Runnable[] {
                    () -> RowEntropy.entropies(q, 0, 6, rowLength, null, 1, EPS, new float[6]),
                    () -> RowEntropy.maskedMean(q, 0, 6, rowLength, null, 1, null, EPS),
                    () -> ScalarKernels.maskedMeanRowEntropy(q, 0, 6, rowLength, null, 1, null, EPS)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run::run);
                assertTrue(e.getMessage().contains("RowEntropy (probabilities): input holds NaN at index " + at + " "),
                        e.getMessage());
            }
        }
        float[] mask = new float[rowLength];
        java.util.Arrays.fill(mask, 1f);
        mask[rowLength - 1] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RowEntropy.maskedMean(p, 0, 6, rowLength, mask, 6, null, EPS));
        assertTrue(e.getMessage().contains("column mask") && e.getMessage().contains("index " + (rowLength - 1)),
                e.getMessage());
    }

    @Test
    void shapeErrorsNameTheProblem() {
        float[] p = new float[30];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RowEntropy.maskedMean(p, 0, 4, 8, null, 1, null, EPS));
        assertTrue(e.getMessage().contains("outside the input of length 30"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RowEntropy.maskedMean(p, 0, 3, 10, new float[10], 2, null, EPS));
        assertTrue(e.getMessage().contains("column mask has length 10, needs 20"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RowEntropy.maskedMean(p, 0, 3, 10, null, 1, new float[3], EPS));
        assertTrue(e.getMessage().contains("no row has a positive weight"), e.getMessage());
    }
}
