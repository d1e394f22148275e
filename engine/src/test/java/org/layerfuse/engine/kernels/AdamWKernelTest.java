package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AdamWKernelTest {

    /** PyTorch's AdamW step for one element, in double. */
    static double[] reference(double p, double g, double m, double v, AdamWKernel.Step s) {
        double gi = g * s.gradScale();
        double mi = s.beta1() * m + (1 - s.beta1()) * gi;
        double vi = s.beta2() * v + (1 - s.beta2()) * gi * gi;
        double pi = p * (1 - s.decay()) - s.lr() * (mi / s.correction1()) / (Math.sqrt(vi / s.correction2()) + s.epsilon());
        return new double[] {pi, mi, vi};
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 8, 9, 33, 100_003, 300_007})
    void matchesTheScalarReferenceOnAwkwardLengths(int n) {
        Backend.init();
        SplittableRandom r = new SplittableRandom(n);
        float[] p = new float[n];
        float[] g = new float[n];
        float[] m = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) r.nextDouble(-1, 1);
            g[i] = (float) r.nextDouble(-3, 3);
            m[i] = (float) r.nextDouble(-0.1, 0.1);
            v[i] = (float) r.nextDouble(0, 0.01);
        }
        INDArray pa = Nd4j.createFromArray(p);
        INDArray ga = Nd4j.createFromArray(g);
        INDArray ma = Nd4j.createFromArray(m);
        INDArray va = Nd4j.createFromArray(v);
        AdamWKernel.Step s = new AdamWKernel.Step(0.7f, 0.9f, 0.999f, 1 - 0.9f * 0.9f * 0.9f, 1 - 0.999f * 0.999f * 0.999f,
                1e-3f, 1e-8f, 1e-5f);
        assertTrue(AdamWKernel.update(pa, ga, ma, va, s));
        for (int i = 0; i < n; i++) {
            double[] e = reference(p[i], g[i], m[i], v[i], s);
            assertEquals(e[0], pa.getFloat(i), 2e-6 * Math.max(1, Math.abs(e[0])), "param " + i);
            // float32 rounding of each term: tolerance relative to the terms, not to their (cancelling) sum
            double mTerms = Math.abs(s.beta1() * m[i]) + Math.abs((1 - s.beta1()) * g[i] * s.gradScale());
            assertEquals(e[1], ma.getFloat(i), 1e-6 * mTerms, "m " + i);
            assertEquals(e[2], va.getFloat(i), 1e-6 * Math.max(1e-6, Math.abs(e[2])), "v " + i);
        }
    }

    @Test
    void theSplitOverCoresGivesTheSinglePassBitwise() {
        int n = 1_000_003; // split into blocks on any machine with more than one core
        java.nio.ByteBuffer[] a = new java.nio.ByteBuffer[8];
        SplittableRandom r = new SplittableRandom(5);
        for (int k = 0; k < 4; k++) {
            a[k] = java.nio.ByteBuffer.allocateDirect(n * 4).order(java.nio.ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                a[k].putFloat(i * 4, (float) (k == 3 ? r.nextDouble(0, 0.01) : r.nextDouble(-1, 1)));
            }
            a[k + 4] = java.nio.ByteBuffer.allocateDirect(n * 4).order(java.nio.ByteOrder.nativeOrder());
            a[k + 4].put(a[k].duplicate().clear()).clear();
        }
        AdamWKernel.Step s = new AdamWKernel.Step(0.9f, 0.9f, 0.999f, 0.19f, 0.002f, 1e-3f, 1e-8f, 1e-5f);
        AdamWKernel.update(a[0], a[1], a[2], a[3], n, s);
        AdamWKernel.updateRange(a[4], a[5], a[6], a[7], 0, n, s);
        for (int k = 0; k < 4; k++) {
            assertEquals(a[k + 4].clear(), a[k].clear(), "array " + k);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, AdamWKernel.NORM_PART - 1, AdamWKernel.NORM_PART, AdamWKernel.NORM_PART + 3,
        5 * AdamWKernel.NORM_PART + 17})
    void theParallelSumOfSquaresIsTheScalarSumAndItsPartsAddedInOrder(int n) {
        Backend.init();
        SplittableRandom r = new SplittableRandom(n + 1);
        float[] g = new float[n];
        double scalar = 0;
        for (int i = 0; i < n; i++) {
            g[i] = (float) r.nextDouble(-2, 2);
            scalar += (double) g[i] * g[i];
        }
        INDArray a = Nd4j.createFromArray(g);
        double parallel = AdamWKernel.sumSquares(NdBuffers.floatView(a));
        assertEquals(scalar, parallel, 1e-6 * Math.max(1, scalar), "against a double loop");
        // the parts' sums (each the one-pass kernel on its range) added in order: the bits, whatever the thread count
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(Math.max(4, n * 4)).order(java.nio.ByteOrder.nativeOrder());
        b.asFloatBuffer().put(g);
        double inOrder = n <= AdamWKernel.NORM_PART ? BufferKernels.sumSquares(b, 0, n) : 0;
        for (int from = 0; n > AdamWKernel.NORM_PART && from < n; from += AdamWKernel.NORM_PART) {
            inOrder += BufferKernels.sumSquares(b, from, Math.min(AdamWKernel.NORM_PART, n - from));
        }
        assertEquals(Double.doubleToRawLongBits(inOrder), Double.doubleToRawLongBits(parallel), "parts in order");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true})
    void refusesArraysItCannotUpdateInPlace(boolean unused) {
        Backend.init();
        INDArray p = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray transposed = Nd4j.rand(DataType.FLOAT, 3, 4).transpose();
        INDArray before = p.dup();
        AdamWKernel.Step s = new AdamWKernel.Step(1, 0.9f, 0.999f, 0.1f, 0.001f, 1e-3f, 1e-8f, 0);
        assertFalse(AdamWKernel.update(p, transposed, p.like(), p.like(), s));
        assertEquals(before, p, "nothing written");
        assertFalse(AdamWKernel.update(Nd4j.rand(DataType.DOUBLE, 4, 3), Nd4j.rand(DataType.DOUBLE, 4, 3),
                Nd4j.zeros(DataType.DOUBLE, 4, 3), Nd4j.zeros(DataType.DOUBLE, 4, 3), s));
    }

    /**
     * The segmented update against the one-pass update on copies, two steps, bit for bit: segments
     * whose moments are +0 and whose gradient is ±0 (skipped: θ·(1 − d) only, or nothing without
     * decay), segments with a single nonzero gradient float at either end, moments flagged zero
     * that are not (the flag is the caller's claim; here it is kept true only where it holds),
     * lengths around the segment and vector widths, a −0 parameter; and a step whose learning
     * rate is infinite (nothing may be skipped: the full step writes NaN).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 13, AdamWKernel.SEGMENT - 1, AdamWKernel.SEGMENT, AdamWKernel.SEGMENT + 5,
        40 * AdamWKernel.SEGMENT + 9, 300_007})
    void theSegmentedUpdateGivesTheOnePassBits(int n) {
        Backend.init();
        for (float lr : new float[] {1e-3f, Float.POSITIVE_INFINITY}) {
            for (float decay : new float[] {1e-5f, 0f}) {
                SplittableRandom r = new SplittableRandom(n * 31L + (decay == 0 ? 1 : 0));
                int segments = AdamWKernel.segments(n);
                float[][] a = new float[4][n]; // p, g, m, v
                boolean[] flags = new boolean[segments];
                for (int k = 0; k < segments; k++) {
                    flags[k] = r.nextInt(3) > 0;
                    int kind = r.nextInt(4); // gradient: 0 zeros, 1 random, 2 one float at the start, 3 one at the end
                    int from = k * AdamWKernel.SEGMENT;
                    int to = Math.min(n, from + AdamWKernel.SEGMENT);
                    for (int i = from; i < to; i++) {
                        a[0][i] = i % 97 == 0 ? -0f : (float) r.nextDouble(-1, 1);
                        a[1][i] = kind == 1 ? (float) r.nextDouble(-2, 2) : r.nextBoolean() ? -0f : 0f;
                        a[2][i] = flags[k] ? 0f : (float) r.nextDouble(-0.1, 0.1);
                        a[3][i] = flags[k] ? 0f : (float) r.nextDouble(0, 0.01);
                    }
                    if (kind == 2 || kind == 3) {
                        a[1][kind == 2 ? from : to - 1] = 0.5f;
                    }
                }
                INDArray[] onePass = new INDArray[4];
                INDArray[] segmented = new INDArray[4];
                for (int j = 0; j < 4; j++) {
                    onePass[j] = Nd4j.createFromArray(a[j]);
                    segmented[j] = Nd4j.createFromArray(a[j]);
                }
                boolean[] expectedFlags = flags.clone();
                for (int k = 0; k < segments; k++) {
                    expectedFlags[k] &= Float.isFinite(lr) && allZero(a[1], k * AdamWKernel.SEGMENT,
                            Math.min(n, (k + 1) * AdamWKernel.SEGMENT));
                }
                for (int t = 1; t <= 2; t++) {
                    AdamWKernel.Step s = new AdamWKernel.Step(0.8f, 0.9f, 0.999f, 1 - (float) Math.pow(0.9, t),
                            1 - (float) Math.pow(0.999, t), lr, 1e-8f, decay);
                    assertTrue(AdamWKernel.update(onePass[0], onePass[1], onePass[2], onePass[3], s));
                    assertTrue(AdamWKernel.update(segmented[0], segmented[1], segmented[2], segmented[3], s, flags));
                    for (int j = 0; j < 4; j += j == 0 ? 2 : 1) {
                        float[] e = onePass[j].toFloatVector();
                        float[] g = segmented[j].toFloatVector();
                        for (int i = 0; i < n; i++) {
                            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(g[i])) {
                                throw new AssertionError("n " + n + ", lr " + lr + ", decay " + decay + ", step " + t + ": "
                                        + "p m v".split(" ")[j == 0 ? 0 : j - 1] + "[" + i + "] " + g[i] + " != " + e[i]
                                        + " (segment " + i / AdamWKernel.SEGMENT + ")");
                            }
                        }
                    }
                    assertEquals(java.util.Arrays.toString(expectedFlags), java.util.Arrays.toString(flags),
                            "flags kept exactly where the segment was skipped");
                }
            }
        }
    }

    private static boolean allZero(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] != 0f) {
                return false;
            }
        }
        return true;
    }

    @Test
    void zeroSegmentsAreThoseWhereBothMomentsArePositiveZero() {
        Backend.init();
        int n = 3 * AdamWKernel.SEGMENT + 7;
        float[] m = new float[n];
        float[] v = new float[n];
        m[AdamWKernel.SEGMENT + 3] = -0f; // not +0: the full step would write +0 there
        v[2 * AdamWKernel.SEGMENT] = 1e-30f;
        boolean[] zero = AdamWKernel.zeroSegments(Nd4j.createFromArray(m), Nd4j.createFromArray(v));
        assertEquals("[true, false, false, true]", java.util.Arrays.toString(zero));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> AdamWKernel.update(Nd4j.createFromArray(m), Nd4j.createFromArray(m), Nd4j.createFromArray(m),
                        Nd4j.createFromArray(v), new AdamWKernel.Step(1, 0.9f, 0.999f, 0.1f, 0.001f, 1e-3f, 1e-8f, 0),
                        new boolean[2]));
        assertTrue(e.getMessage().contains("2 zero-moment flags for " + n + " floats (needs 4"), e.getMessage());
    }
}
