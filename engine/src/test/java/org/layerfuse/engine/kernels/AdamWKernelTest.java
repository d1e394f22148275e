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
}
