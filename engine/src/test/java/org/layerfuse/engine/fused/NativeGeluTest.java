package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeGelu} (one pass over a direct buffer) against the heap kernels it replaces,
 * {@link TransformerKernels#biasGeluErf} and {@link TransformerKernels#biasGeluTanh}: the same
 * bits for every element, in place and into another buffer, over widths around the vector length
 * (tails) and inputs reaching the erf clamp (|y|/√2 ≥ 4) and exp's underflow and overflow
 * (|2u| > 88); and against the double references {@link ScalarTransformerKernels} and
 * {@link ScalarBackwardKernels} at {@link TransformerKernelsTest}'s and {@link BackwardKernelsTest}'s tolerances.
 * The gradients likewise against {@link BackwardKernels#geluErf} and {@link BackwardKernels#geluTanh}.
 */
class NativeGeluTest {

    private static final int ROWS = 3;
    private static final int SRC_AT = 5;
    private static final int DST_AT = 2;

    static int[] widths() {
        return FusedCases.widths();
    }

    private interface HeapKernel {
        void apply(float[] x, int off, int rows, int cols, float[] bias);
    }

    private interface NativeKernel {
        void apply(ByteBuffer src, int srcAt, ByteBuffer dst, int dstAt, int rows, int cols, float[] bias);
    }

    private interface DoubleKernel {
        void apply(double[] x, int off, int rows, int cols, double[] bias);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void erfFormIsTheHeapKernelBitForBit(int cols) {
        assertSameBits(TransformerKernels::biasGeluErf, NativeGelu::biasGeluErf,
                ScalarTransformerKernels::biasGeluErf, cols);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void tanhFormIsTheHeapKernelBitForBit(int cols) {
        assertSameBits(TransformerKernels::biasGeluTanh, NativeGelu::biasGeluTanh,
                ScalarTransformerKernels::biasGeluTanh, cols);
    }

    private static void assertSameBits(HeapKernel heap, NativeKernel direct, DoubleKernel reference, int cols) {
        float[] x = FusedCases.uniform(SRC_AT + ROWS * cols, 8, cols);
        x[SRC_AT] = 30f;                    // erf clamped to 1, e^{2u} clamped at e^88
        x[SRC_AT + ROWS * cols - 1] = -30f; // erf clamped to −1, e^{2u} underflows to 0
        float[] bias = FusedCases.uniform(cols, 1, cols + 1);
        float[] expected = x.clone();
        heap.apply(expected, SRC_AT, ROWS, cols, bias);

        ByteBuffer src = FusedCases.direct(x);
        direct.apply(src, SRC_AT, src, SRC_AT, ROWS, cols, bias); // in place
        ByteBuffer other = FusedCases.direct(x);
        ByteBuffer dst = ByteBuffer.allocateDirect((DST_AT + ROWS * cols) * Float.BYTES).order(ByteOrder.nativeOrder());
        direct.apply(other, SRC_AT, dst, DST_AT, ROWS, cols, bias); // into another buffer
        for (int i = 0; i < ROWS * cols; i++) {
            int want = Float.floatToRawIntBits(expected[SRC_AT + i]);
            assertEquals(want, Float.floatToRawIntBits(src.getFloat((SRC_AT + i) * Float.BYTES)), "in place, element " + i);
            assertEquals(want, Float.floatToRawIntBits(dst.getFloat((DST_AT + i) * Float.BYTES)), "copied, element " + i);
            assertEquals(x[SRC_AT + i], other.getFloat((SRC_AT + i) * Float.BYTES), "source untouched, element " + i);
        }
        double[] ref = FusedCases.toDouble(x);
        reference.apply(ref, SRC_AT, ROWS, cols, FusedCases.toDouble(bias));
        for (int i = SRC_AT; i < SRC_AT + ROWS * cols; i++) {
            float got = src.getFloat(i * Float.BYTES);
            assertTrue(Math.abs(got - ref[i]) <= 1e-6 + 1e-5 * Math.abs(ref[i]), "element " + i + ": " + got + " vs " + ref[i]);
        }
    }

    private interface HeapBackward {
        void apply(float[] x, float[] dy, float[] dx, int off, int n);
    }

    private interface NativeBackward {
        void apply(ByteBuffer x, int xAt, ByteBuffer dy, int dyAt, ByteBuffer dx, int dxAt, int n);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void gradientsAreTheHeapKernelsBitForBit(int n) {
        int off = 3;
        float[] x = FusedCases.uniform(off + n, 6, 13); // the erf clamp at |x/√2| = 4
        x[off] = 30f;
        x[off + n - 1] = -30f; // e^{−x²/2} and e^{2u} underflow to 0
        float[] dy = FusedCases.uniform(off + n, 1, 14);
        assertSameGradientBits(BackwardKernels::geluErf, (xb, xAt, dyb, dyAt, dx, dxAt, len) -> {
            NativeGelu.erfDerivative(xb, xAt, dx, dxAt, len);
            NativeGelu.multiply(dx, dxAt, dyb, dyAt, dx, dxAt, len);
        }, ScalarBackwardKernels::geluErfGrad, x, dy, off, n, "erf form, derivative · dy");
        assertSameGradientBits(BackwardKernels::geluTanh, (xb, xAt, dyb, dyAt, dx, dxAt, len) -> {
            NativeGelu.tanhDerivative(xb, xAt, dx, dxAt, len);
            NativeGelu.multiply(dx, dxAt, dyb, dyAt, dx, dxAt, len);
        }, ScalarBackwardKernels::geluTanhGrad, x, dy, off, n, "tanh form, derivative · dy");
    }

    private static void assertSameGradientBits(HeapBackward heap, NativeBackward direct,
                                               java.util.function.DoubleUnaryOperator grad, float[] x, float[] dy,
                                               int off, int n, String what) {
        float[] expected = new float[off + n];
        heap.apply(x, dy, expected, off, n);
        ByteBuffer dx = ByteBuffer.allocateDirect((DST_AT + n) * Float.BYTES).order(ByteOrder.nativeOrder());
        direct.apply(FusedCases.direct(x), off, FusedCases.direct(dy), off, dx, DST_AT, n);
        double[] ref = new double[off + n];
        float[] got = new float[off + n];
        for (int i = 0; i < n; i++) {
            got[off + i] = dx.getFloat((DST_AT + i) * Float.BYTES);
            assertEquals(Float.floatToRawIntBits(expected[off + i]), Float.floatToRawIntBits(got[off + i]),
                    what + ", element " + i);
            ref[off + i] = dy[off + i] * grad.applyAsDouble(x[off + i]);
        }
        assertTrue(FusedCases.worst(java.util.Arrays.copyOfRange(got, off, off + n),
                java.util.Arrays.copyOfRange(ref, off, off + n), 2e-6, 2e-5) <= 1, what + " against the double reference");
    }

    /**
     * The forward with its derivative, as the training graph's GELU op runs it: y bit for bit the
     * zero-bias forward kernel's and d bit for bit {@link NativeGelu#erfDerivative}'s (so d·dy is
     * the heap gradient kernel's, see above), for widths that are whole vectors (one pass, the
     * erf shared) and ones that are not (two passes); −0, the erf clamp and the exponential's
     * underflow included. And the tanh derivative against the double reference.
     */
    @ParameterizedTest
    @MethodSource("widths")
    void theForwardWithItsDerivativeIsBothKernelsBitForBit(int cols) {
        int n = ROWS * cols;
        float[] x = FusedCases.uniform(SRC_AT + n, 8, cols + 40);
        x[SRC_AT] = 30f;
        x[SRC_AT + n - 1] = -30f;
        x[SRC_AT + n / 2] = -0f;
        ByteBuffer xb = FusedCases.direct(x);
        ByteBuffer expectedY = buffer(DST_AT + n);
        NativeGelu.biasGeluErf(xb, SRC_AT, expectedY, DST_AT, ROWS, cols, new float[cols]);
        ByteBuffer expectedD = buffer(DST_AT + n);
        NativeGelu.erfDerivative(xb, SRC_AT, expectedD, DST_AT, n);
        ByteBuffer y = buffer(DST_AT + n);
        ByteBuffer d = buffer(DST_AT + n);
        NativeGelu.erfWithDerivative(xb, SRC_AT, y, DST_AT, d, DST_AT, ROWS, cols, new float[cols]); // a zero bias
        assertSameFloats(expectedY, y, n, "erf form, y");
        assertSameFloats(expectedD, d, n, "erf form, GELU'");
        NativeGelu.tanhDerivative(xb, SRC_AT, d, DST_AT, n);
        for (int i = 0; i < n; i++) {
            float xi = x[SRC_AT + i];
            assertEquals(ScalarBackwardKernels.geluTanhGrad(xi), d.getFloat((DST_AT + i) * Float.BYTES),
                    2e-6 + 2e-5 * Math.abs(ScalarBackwardKernels.geluTanhGrad(xi)), "tanh derivative at " + xi);
        }
    }

    /**
     * With the dense layer's bias folded in, as the training graph's GELU op now runs it: y bit for
     * bit {@link NativeGelu#biasGeluErf} with that bias and d bit for bit {@link
     * NativeGelu#erfDerivative} over x + bias formed as a float addition ({@link
     * NativeRows#biasAdd} into another buffer, itself checked against a scalar float loop), whole-vector and ragged
     * widths, a −0 + −0 argument, the clamp and the underflow. Fails if the one-pass kernel adds the
     * bias anywhere but the argument (checked by mutation: the derivative taken at x alone).
     */
    @ParameterizedTest
    @MethodSource("widths")
    void theBiasedForwardWithItsDerivativeIsBothKernelsOverTheSum(int cols) {
        int n = ROWS * cols;
        float[] x = FusedCases.uniform(SRC_AT + n, 11, cols + 41);
        float[] bias = FusedCases.uniform(cols, 12, 3);
        x[SRC_AT] = 30f;
        x[SRC_AT + n - 1] = -30f;
        x[SRC_AT + cols] = -0f;
        bias[0] = -0f;                      // row 1, column 0: −0 + −0
        ByteBuffer xb = FusedCases.direct(x);
        ByteBuffer sum = buffer(DST_AT + n);
        NativeRows.biasAdd(xb, SRC_AT, sum, DST_AT, ROWS, cols, bias);
        for (int i = 0; i < n; i++) {
            float expected = x[SRC_AT + i] + bias[i % cols];
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(sum.getFloat((DST_AT + i) * Float.BYTES)),
                    "x + bias at " + i);
        }
        ByteBuffer expectedY = buffer(DST_AT + n);
        NativeGelu.biasGeluErf(xb, SRC_AT, expectedY, DST_AT, ROWS, cols, bias);
        ByteBuffer expectedD = buffer(DST_AT + n);
        NativeGelu.erfDerivative(sum, DST_AT, expectedD, DST_AT, n);
        ByteBuffer y = buffer(DST_AT + n);
        ByteBuffer d = buffer(DST_AT + n);
        NativeGelu.erfWithDerivative(xb, SRC_AT, y, DST_AT, d, DST_AT, ROWS, cols, bias);
        assertSameFloats(expectedY, y, n, "erf form with bias, y");
        assertSameFloats(expectedD, d, n, "erf form with bias, GELU'");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeGelu.erfWithDerivative(xb, SRC_AT, y, DST_AT, d, DST_AT, ROWS, cols, new float[cols - 1]));
        assertEquals("NativeGelu.erfWithDerivative: the bias needs " + cols + " values, got " + (cols - 1), e.getMessage());
    }

    private static ByteBuffer buffer(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
    }

    private static void assertSameFloats(ByteBuffer expected, ByteBuffer actual, int n, String what) {
        for (int i = 0; i < n; i++) {
            int at = (DST_AT + i) * Float.BYTES;
            assertEquals(Float.floatToRawIntBits(expected.getFloat(at)), Float.floatToRawIntBits(actual.getFloat(at)),
                    what + ", element " + i + ": " + actual.getFloat(at) + " against " + expected.getFloat(at));
        }
    }

    @Test
    void blocksOutsideTheBuffersAreRefusedWithTheirSizes() {
        ByteBuffer b = ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeGelu.biasGeluErf(b, 2, b, 2, 3, 3, new float[3]));
        assertEquals("NativeGelu.biasGeluErf: 3 × 3 floats from 2 / 2 with a bias of 3 do not fit buffers of 40 / 40 bytes",
                e.getMessage());
        ByteBuffer big = ByteBuffer.allocateDirect(40);
        assertThrows(IllegalArgumentException.class,
                () -> NativeGelu.biasGeluTanh(big.order(ByteOrder.BIG_ENDIAN), 0, b, 0, 1, 2, new float[2]));
    }
}
