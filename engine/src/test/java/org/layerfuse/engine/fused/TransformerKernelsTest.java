package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TransformerKernels} (float, vector) against {@link ScalarTransformerKernels} (double)
 * on the same inputs, over row blocks that start at an odd offset and have widths around the
 * vector length (tails). Tolerance: 1e-6 absolute + 1e-5 relative — float rounding of a few
 * operations; a wrong formula or a skipped tail is off by far more.
 */
class TransformerKernelsTest {

    private static final int ROWS = 3;
    private static final int OFF = 5;

    static int[] widths() {
        return FusedCases.widths();
    }

    private interface FloatKernel {
        void apply(float[] x, int off, int rows, int cols, float[] bias);
    }

    private interface DoubleKernel {
        void apply(double[] x, int off, int rows, int cols, double[] bias);
    }

    private static void assertElementwise(String name, FloatKernel f, DoubleKernel d, int cols, double spread) {
        float[] x = FusedCases.uniform(OFF + ROWS * cols + 2, spread, cols);
        float[] bias = FusedCases.uniform(cols, 1, cols + 1);
        double[] ref = FusedCases.toDouble(x);
        f.apply(x, OFF, ROWS, cols, bias);
        d.apply(ref, OFF, ROWS, cols, FusedCases.toDouble(bias));
        double worst = FusedCases.worst(x, ref, 1e-6, 1e-5);
        assertTrue(worst <= 1, name + " width " + cols + ": error " + worst + " × tolerance");
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void biasAddMatchesScalar(int cols) {
        assertElementwise("biasAdd", TransformerKernels::biasAdd, ScalarTransformerKernels::biasAdd, cols, 3);
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void biasGeluErfMatchesScalar(int cols) {
        assertElementwise("biasGeluErf", TransformerKernels::biasGeluErf, ScalarTransformerKernels::biasGeluErf, cols, 6);
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void biasGeluTanhMatchesScalar(int cols) {
        assertElementwise("biasGeluTanh", TransformerKernels::biasGeluTanh, ScalarTransformerKernels::biasGeluTanh, cols,
                6);
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void biasReluMatchesScalar(int cols) {
        assertElementwise("biasRelu", TransformerKernels::biasRelu, ScalarTransformerKernels::biasRelu, cols, 3);
    }

    @Test
    void untouchedOutsideTheBlock() {
        float[] x = FusedCases.uniform(40, 1, 3);
        float[] before = x.clone();
        TransformerKernels.biasGeluErf(x, 4, 2, 13, FusedCases.uniform(13, 1, 4));
        for (int i = 0; i < x.length; i++) {
            if (i < 4 || i >= 30) {
                assertEquals(before[i], x[i], "element " + i + " is outside the block");
            }
        }
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void biasResidualLayerNormMatchesScalar(int cols) {
        if (cols < 2) {
            return; // one value has zero variance: nothing to normalise
        }
        float[] x = FusedCases.uniform(OFF + ROWS * cols, 2, cols);
        for (int i = OFF; i < x.length; i++) {
            x[i] += 3f; // an offset mean: a one-pass E[x²] − mean² would lose digits here
        }
        float[] bias = FusedCases.uniform(cols, 1, 11);
        float[] residual = FusedCases.uniform(ROWS * cols + 7, 2, 12);
        float[] gamma = FusedCases.uniform(cols, 1.5, 13);
        float[] beta = FusedCases.uniform(cols, 1, 14);
        double[] ref = FusedCases.toDouble(x);
        TransformerKernels.biasResidualLayerNorm(x, OFF, ROWS, cols, bias, residual, 7, gamma, beta, 1e-5f);
        ScalarTransformerKernels.biasResidualLayerNorm(ref, OFF, ROWS, cols, FusedCases.toDouble(bias),
                FusedCases.toDouble(residual), 7, FusedCases.toDouble(gamma), FusedCases.toDouble(beta), 1e-5);
        double worst = FusedCases.worst(x, ref, 2e-6, 1e-5);
        assertTrue(worst <= 1, "layer norm width " + cols + ": error " + worst + " × tolerance");
    }

    @Test
    void layerNormWithoutBiasOrResidual() {
        int cols = 384;
        float[] x = FusedCases.uniform(cols * 2, 4, 21);
        float[] gamma = FusedCases.uniform(cols, 1, 22);
        float[] beta = FusedCases.uniform(cols, 1, 23);
        double[] ref = FusedCases.toDouble(x);
        TransformerKernels.biasResidualLayerNorm(x, 0, 2, cols, null, null, 0, gamma, beta, 1e-12f);
        ScalarTransformerKernels.biasResidualLayerNorm(ref, 0, 2, cols, null, null, 0, FusedCases.toDouble(gamma),
                FusedCases.toDouble(beta), 1e-12);
        assertTrue(FusedCases.worst(x, ref, 2e-6, 1e-5) <= 1);
    }

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("widths")
    void scaleMaskSoftmaxMatchesScalar(int cols) {
        int stride = cols + 3;
        float[] x = FusedCases.uniform(OFF + ROWS * stride, 20, cols);
        float[] mask = new float[cols + 2];
        for (int c = 0; c < cols; c++) {
            // real keys, −10000 (TF) and float-min (Hugging Face) padding; the first key stays real
            mask[2 + c] = c == 0 || c % 3 == 0 ? 0f : c % 3 == 1 ? -10000f : -Float.MAX_VALUE;
        }
        double[] ref = FusedCases.toDouble(x);
        TransformerKernels.scaleMaskSoftmax(x, OFF, ROWS, cols, stride, 0.125f, mask, 2);
        ScalarTransformerKernels.scaleMaskSoftmax(ref, OFF, ROWS, cols, stride, 0.125, FusedCases.toDouble(mask), 2);
        assertTrue(FusedCases.worst(x, ref, 1e-7, 1e-5) <= 1, "softmax width " + cols);
        for (int r = 0; r < ROWS; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                float p = x[OFF + r * stride + c];
                sum += p;
                if (mask[2 + c] != 0f) {
                    assertEquals(0f, p, "masked key " + c + " gets no probability");
                }
            }
            assertEquals(1.0, sum, 1e-5, "row " + r + " sums to 1");
        }
    }

    @Test
    void badRangesNameTheKernel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TransformerKernels.biasGeluTanh(new float[10], 2, 3, 3, new float[3]));
        assertTrue(e.getMessage().startsWith("biasGeluTanh"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TransformerKernels.biasAdd(new float[10], 0, 2, 5, new float[4]));
    }
}
