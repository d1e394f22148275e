package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training kernels: the float {@link BackwardKernels} against the double loops of
 * {@link ScalarBackwardKernels}, and those against central finite differences of the forward
 * they differentiate (layer norm, both GELU forms) or a closed form.
 */
class BackwardKernelsTest {

    static IntStream widths() {
        return IntStream.of(FusedCases.widths());
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void layerNormMatchesScalar(int cols) {
        int rows = 5;
        int off = 7;
        float[] x = FusedCases.uniform(off + rows * cols, 3, 1);
        float[] dy = FusedCases.uniform(off + rows * cols, 1, 2);
        float[] gamma = FusedCases.uniform(cols, 2, 3);
        float[] dx = new float[x.length];
        float[] dGamma = FusedCases.uniform(cols, 1, 4); // accumulates onto what is there
        float[] dBeta = FusedCases.uniform(cols, 1, 5);
        double[] refDx = new double[x.length];
        double[] refDGamma = FusedCases.toDouble(dGamma);
        double[] refDBeta = FusedCases.toDouble(dBeta);
        BackwardKernels.layerNorm(x, dy, dx, off, rows, cols, gamma, 1e-12f, dGamma, dBeta);
        ScalarBackwardKernels.layerNorm(FusedCases.toDouble(x), FusedCases.toDouble(dy), refDx, off, rows, cols,
                FusedCases.toDouble(gamma), 1e-12, refDGamma, refDBeta);
        assertTrue(FusedCases.worst(dx, refDx, 1e-5, 1e-4) <= 1, "dx");
        assertTrue(FusedCases.worst(dGamma, refDGamma, 1e-5, 1e-5) <= 1, "dγ");
        assertTrue(FusedCases.worst(dBeta, refDBeta, 1e-5, 1e-5) <= 1, "dβ");
        for (int i = 0; i < off; i++) {
            assertEquals(0f, dx[i], "nothing written before the offset");
        }
    }

    @Test
    void layerNormInPlaceGivesTheSameGradient() {
        int rows = 4;
        int cols = 2 * FusedCases.LANES + 3;
        float[] x = FusedCases.uniform(rows * cols, 2, 6);
        float[] dy = FusedCases.uniform(rows * cols, 1, 7);
        float[] gamma = FusedCases.uniform(cols, 1, 8);
        float[] dx = new float[dy.length];
        BackwardKernels.layerNorm(x, dy, dx, 0, rows, cols, gamma, 1e-5f, new float[cols], new float[cols]);
        BackwardKernels.layerNorm(x, dy, dy, 0, rows, cols, gamma, 1e-5f, new float[cols], new float[cols]);
        assertTrue(java.util.Arrays.equals(dx, dy), "dx written over dy");
    }

    /** The double layer-norm gradient is the derivative of the double forward (ε = 1e-5, large). */
    @Test
    void scalarLayerNormGradientMatchesFiniteDifferences() {
        int rows = 3;
        int cols = 9;
        double[] x = FusedCases.toDouble(FusedCases.uniform(rows * cols, 2, 9));
        double[] w = FusedCases.toDouble(FusedCases.uniform(rows * cols, 1, 10)); // loss = Σ w·y
        double[] gamma = FusedCases.toDouble(FusedCases.uniform(cols, 2, 11));
        double[] beta = FusedCases.toDouble(FusedCases.uniform(cols, 1, 12));
        double eps = 1e-5;
        double[] dx = new double[x.length];
        double[] dGamma = new double[cols];
        double[] dBeta = new double[cols];
        ScalarBackwardKernels.layerNorm(x, w, dx, 0, rows, cols, gamma, eps, dGamma, dBeta);
        double h = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + h;
            double plus = layerNormLoss(x, w, rows, cols, gamma, beta, eps);
            x[i] = saved - h;
            double minus = layerNormLoss(x, w, rows, cols, gamma, beta, eps);
            x[i] = saved;
            assertEquals((plus - minus) / (2 * h), dx[i], 1e-7, "dx[" + i + "]");
        }
        for (int c = 0; c < cols; c++) {
            double saved = gamma[c];
            gamma[c] = saved + h;
            double plus = layerNormLoss(x, w, rows, cols, gamma, beta, eps);
            gamma[c] = saved - h;
            double minus = layerNormLoss(x, w, rows, cols, gamma, beta, eps);
            gamma[c] = saved;
            assertEquals((plus - minus) / (2 * h), dGamma[c], 1e-7, "dγ[" + c + "]");
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                sum += w[r * cols + c];
            }
            assertEquals(sum, dBeta[c], 1e-12, "dβ[" + c + "] = Σ dy");
        }
    }

    private static double layerNormLoss(double[] x, double[] w, int rows, int cols, double[] gamma, double[] beta,
                                        double eps) {
        double[] y = new double[x.length];
        ScalarBackwardKernels.layerNormForward(x, y, 0, rows, cols, gamma, beta, eps);
        double loss = 0;
        for (int i = 0; i < y.length; i++) {
            loss += w[i] * y[i];
        }
        return loss;
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("widths")
    void geluGradientsMatchScalar(int n) {
        int off = 3;
        float[] x = FusedCases.uniform(off + n, 6, 13); // covers the erf clamp at |x/√2| = 4
        float[] dy = FusedCases.uniform(off + n, 1, 14);
        float[] dx = new float[off + n];
        double[] ref = new double[off + n];
        BackwardKernels.geluErf(x, dy, dx, off, n);
        for (int i = off; i < off + n; i++) {
            ref[i] = dy[i] * ScalarBackwardKernels.geluErfGrad(x[i]);
        }
        assertTrue(FusedCases.worst(dx, ref, 2e-6, 2e-5) <= 1, "erf form");
        BackwardKernels.geluTanh(x, dy, dx, off, n);
        for (int i = off; i < off + n; i++) {
            ref[i] = dy[i] * ScalarBackwardKernels.geluTanhGrad(x[i]);
        }
        assertTrue(FusedCases.worst(dx, ref, 2e-6, 2e-5) <= 1, "tanh form");
    }

    @Test
    void scalarGeluGradientsMatchFiniteDifferences() {
        double h = 1e-6;
        for (double x = -7; x <= 7; x += 0.173) {
            double erf = (ScalarBackwardKernels.geluErf(x + h) - ScalarBackwardKernels.geluErf(x - h)) / (2 * h);
            double tanh = (ScalarBackwardKernels.geluTanh(x + h) - ScalarBackwardKernels.geluTanh(x - h)) / (2 * h);
            assertEquals(erf, ScalarBackwardKernels.geluErfGrad(x), 1e-8, "erf form at " + x);
            assertEquals(tanh, ScalarBackwardKernels.geluTanhGrad(x), 1e-8, "tanh form at " + x);
        }
        assertEquals(0.5, ScalarBackwardKernels.geluErfGrad(0), 1e-15, "GELU'(0) = ½");
        assertEquals(0.5 * 1.5 * (1 + org.apache.commons.math3.special.Erf.erf(1.5 / Math.sqrt(2))),
                ScalarBackwardKernels.geluErf(1.5), 1e-15, "½x(1 + erf(x/√2))");
    }

    @Test
    void geluErfRefusesDxAliasingDy() {
        float[] a = new float[8];
        assertThrows(IllegalArgumentException.class, () -> BackwardKernels.geluErf(a, a, a, 0, 8));
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void columnSumsAddEveryRow(int cols) {
        int rows = 37;
        float[] x = FusedCases.uniform(2 + rows * cols, 1, 15);
        float[] acc = FusedCases.uniform(cols, 1, 16);
        double[] ref = FusedCases.toDouble(acc);
        BackwardKernels.columnSums(x, 2, rows, cols, acc);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                ref[c] += x[2 + r * cols + c];
            }
        }
        assertTrue(FusedCases.worst(acc, ref, 1e-5, 1e-6) <= 1);
    }

    static Stream<Arguments> attentionShapes() {
        return new AttentionKernelTest().shapesForBackward();
    }

    @ParameterizedTest(name = "S={0} heads={1} d={2}")
    @MethodSource("attentionShapes")
    void attentionGradientMatchesScalar(int s, int heads, int d) {
        int h = heads * d;
        int off = 2 * h;
        int n = off + s * h;
        float[] q = FusedCases.uniform(n, 1, 17 + s);
        float[] k = FusedCases.uniform(n, 1, 18 + s);
        float[] v = FusedCases.uniform(n, 1, 19 + s);
        float[] dCtx = FusedCases.uniform(n, 1, 20 + s);
        float[] mask = new float[s];
        for (int j = 1; j < s; j++) {
            mask[j] = j % 4 == 3 ? -10000f : 0f;
        }
        float scale = (float) (1 / Math.sqrt(d));
        float[] probs = new float[1 + heads * s * s];
        AttentionKernel.sequence(q, k, v, off, s, heads, d, scale, mask, 0, new float[n], off, probs, 1,
                new float[AttentionKernel.workSize(s, d)]);
        float[] dq = new float[n];
        float[] dk = new float[n];
        float[] dv = new float[n];
        AttentionKernel.sequenceBackward(q, k, v, dCtx, off, s, heads, d, scale, probs, 1, dq, dk, dv,
                new float[AttentionKernel.backwardWorkSize(s, d)]);
        double[] rq = new double[n];
        double[] rk = new double[n];
        double[] rv = new double[n];
        ScalarBackwardKernels.attention(FusedCases.toDouble(q), FusedCases.toDouble(k), FusedCases.toDouble(v),
                FusedCases.toDouble(dCtx), off, s, heads, d, scale, FusedCases.toDouble(probs), 1, rq, rk, rv);
        assertTrue(FusedCases.worst(dq, rq, 1e-5, 1e-4) <= 1, "dQ");
        assertTrue(FusedCases.worst(dk, rk, 1e-5, 1e-4) <= 1, "dK");
        assertTrue(FusedCases.worst(dv, rv, 1e-5, 1e-4) <= 1, "dV");
    }

    /** The double attention gradient is the derivative of the double forward (loss = Σ w·context). */
    @Test
    void scalarAttentionGradientMatchesFiniteDifferences() {
        int s = 5;
        int heads = 2;
        int d = 3;
        int n = s * heads * d;
        double[][] qkv = {FusedCases.toDouble(FusedCases.uniform(n, 1, 21)),
            FusedCases.toDouble(FusedCases.uniform(n, 1, 22)), FusedCases.toDouble(FusedCases.uniform(n, 1, 23))};
        double[] w = FusedCases.toDouble(FusedCases.uniform(n, 1, 24));
        double[] mask = {0, 0, -10000, 0, 0};
        double scale = 1 / Math.sqrt(d);
        double[] probs = new double[heads * s * s];
        ScalarTransformerKernels.attention(qkv[0], qkv[1], qkv[2], 0, s, heads, d, scale, mask, 0, new double[n], 0,
                probs, 0);
        double[][] grads = {new double[n], new double[n], new double[n]};
        ScalarBackwardKernels.attention(qkv[0], qkv[1], qkv[2], w, 0, s, heads, d, scale, probs, 0, grads[0],
                grads[1], grads[2]);
        double h = 1e-6;
        for (int which = 0; which < 3; which++) {
            for (int i = 0; i < n; i++) {
                double saved = qkv[which][i];
                qkv[which][i] = saved + h;
                double plus = attentionLoss(qkv, w, s, heads, d, scale, mask);
                qkv[which][i] = saved - h;
                double minus = attentionLoss(qkv, w, s, heads, d, scale, mask);
                qkv[which][i] = saved;
                assertEquals((plus - minus) / (2 * h), grads[which][i], 1e-8, "QKV".charAt(which) + "[" + i + "]");
            }
        }
    }

    private static double attentionLoss(double[][] qkv, double[] w, int s, int heads, int d, double scale,
                                        double[] mask) {
        double[] ctx = new double[w.length];
        ScalarTransformerKernels.attention(qkv[0], qkv[1], qkv[2], 0, s, heads, d, scale, mask, 0, ctx, 0, null, 0);
        double loss = 0;
        for (int i = 0; i < ctx.length; i++) {
            loss += w[i] * ctx[i];
        }
        return loss;
    }
}
