package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NativeLayerNorm} (rows of a direct buffer, no heap copies) against the heap kernels it
 * replaces, {@link TransformerKernels#biasResidualLayerNorm} and {@link BackwardKernels#layerNorm}:
 * the same bits for every element and every dγ / dβ sum, with and without bias and residual, in
 * place and into another buffer, over widths around the vector length (tails); and against the
 * double references at {@link TransformerKernelsTest}'s and {@link BackwardKernelsTest}'s tolerances.
 */
class NativeLayerNormTest {

    private static final int ROWS = 4;
    private static final int X_AT = 5;
    private static final int RES_AT = 3;
    private static final int Y_AT = 2;

    static int[] widths() {
        return FusedCases.widths();
    }

    @ParameterizedTest
    @MethodSource("widths")
    void forwardIsTheHeapKernelBitForBit(int cols) {
        for (int variant = 0; variant < 4; variant++) {
            boolean withBias = (variant & 1) != 0;
            boolean withResidual = (variant & 2) != 0;
            float[] x = FusedCases.uniform(X_AT + ROWS * cols, 3, cols);
            x[X_AT] = 40f; // one large value: the centred variance matters
            float[] res = FusedCases.uniform(RES_AT + ROWS * cols, 2, cols + 1);
            float[] bias = withBias ? FusedCases.uniform(cols, 1, cols + 2) : null;
            float[] gamma = FusedCases.uniform(cols, 1, cols + 3);
            float[] beta = FusedCases.uniform(cols, 1, cols + 4);
            float eps = 1e-12f;
            float[] expected = x.clone();
            TransformerKernels.biasResidualLayerNorm(expected, X_AT, ROWS, cols, bias, withResidual ? res : null,
                    RES_AT, gamma, beta, eps);

            ByteBuffer xb = FusedCases.direct(x);
            ByteBuffer rb = withResidual ? FusedCases.direct(res) : null;
            NativeLayerNorm.forward(xb, X_AT, rb, RES_AT, xb, X_AT, ROWS, cols, bias, gamma, beta, eps); // in place
            ByteBuffer src = FusedCases.direct(x);
            ByteBuffer dst = FusedCases.direct(new float[Y_AT + ROWS * cols]);
            NativeLayerNorm.forward(src, X_AT, rb, RES_AT, dst, Y_AT, ROWS, cols, bias, gamma, beta, eps);
            String what = " (bias " + withBias + ", residual " + withResidual + ")";
            for (int i = 0; i < ROWS * cols; i++) {
                int want = Float.floatToRawIntBits(expected[X_AT + i]);
                assertEquals(want, Float.floatToRawIntBits(xb.getFloat((X_AT + i) * 4)), "in place, element " + i + what);
                assertEquals(want, Float.floatToRawIntBits(dst.getFloat((Y_AT + i) * 4)), "copied, element " + i + what);
                assertEquals(x[X_AT + i], src.getFloat((X_AT + i) * 4), "source untouched, element " + i + what);
            }
            double[] ref = FusedCases.toDouble(x);
            ScalarTransformerKernels.biasResidualLayerNorm(ref, X_AT, ROWS, cols,
                    bias == null ? null : FusedCases.toDouble(bias), withResidual ? FusedCases.toDouble(res) : null,
                    RES_AT, FusedCases.toDouble(gamma), FusedCases.toDouble(beta), eps);
            float[] got = new float[ref.length];
            xb.asFloatBuffer().get(got);
            assertTrue(FusedCases.worst(java.util.Arrays.copyOfRange(got, X_AT, got.length),
                    java.util.Arrays.copyOfRange(ref, X_AT, ref.length), 1e-5, 1e-5) <= 1, "double reference" + what);
        }
    }

    @ParameterizedTest
    @MethodSource("widths")
    void backwardIsTheHeapKernelBitForBit(int cols) {
        float[] x = FusedCases.uniform(X_AT + ROWS * cols, 3, cols + 5);
        float[] dy = FusedCases.uniform(X_AT + ROWS * cols, 1, cols + 6);
        float[] gamma = FusedCases.uniform(cols, 1, cols + 7);
        float eps = 1e-12f;
        float[] dx = new float[x.length];
        float[] dGamma = FusedCases.uniform(cols, 1, cols + 8); // sums accumulate onto what is there
        float[] dBeta = FusedCases.uniform(cols, 1, cols + 9);
        float[] dGammaNative = dGamma.clone();
        float[] dBetaNative = dBeta.clone();
        BackwardKernels.layerNorm(x, dy, dx, X_AT, ROWS, cols, gamma, eps, dGamma, dBeta);

        ByteBuffer xb = FusedCases.direct(x);
        ByteBuffer dyb = FusedCases.direct(dy);
        ByteBuffer dxb = FusedCases.direct(new float[Y_AT + ROWS * cols]);
        NativeLayerNorm.backward(xb, X_AT, dyb, X_AT, dxb, Y_AT, ROWS, cols, gamma, eps, dGammaNative, dBetaNative);
        ByteBuffer inPlace = FusedCases.direct(dy);
        float[] dGammaAgain = FusedCases.uniform(cols, 1, cols + 8);
        float[] dBetaAgain = FusedCases.uniform(cols, 1, cols + 9);
        NativeLayerNorm.backward(xb, X_AT, inPlace, X_AT, inPlace, X_AT, ROWS, cols, gamma, eps, dGammaAgain,
                dBetaAgain);
        for (int i = 0; i < ROWS * cols; i++) {
            int want = Float.floatToRawIntBits(dx[X_AT + i]);
            assertEquals(want, Float.floatToRawIntBits(dxb.getFloat((Y_AT + i) * 4)), "dx, element " + i);
            assertEquals(want, Float.floatToRawIntBits(inPlace.getFloat((X_AT + i) * 4)), "dx over dy, element " + i);
        }
        for (int c = 0; c < cols; c++) {
            assertEquals(Float.floatToRawIntBits(dGamma[c]), Float.floatToRawIntBits(dGammaNative[c]), "dγ " + c);
            assertEquals(Float.floatToRawIntBits(dBeta[c]), Float.floatToRawIntBits(dBetaNative[c]), "dβ " + c);
            assertEquals(dGammaNative[c], dGammaAgain[c], "dγ " + c + ", in place");
        }
        double[] refDx = new double[x.length];
        double[] refGamma = FusedCases.toDouble(FusedCases.uniform(cols, 1, cols + 8));
        double[] refBeta = FusedCases.toDouble(FusedCases.uniform(cols, 1, cols + 9));
        ScalarBackwardKernels.layerNorm(FusedCases.toDouble(x), FusedCases.toDouble(dy), refDx, X_AT, ROWS, cols,
                FusedCases.toDouble(gamma), eps, refGamma, refBeta);
        float[] got = new float[ROWS * cols];
        for (int i = 0; i < got.length; i++) {
            got[i] = dxb.getFloat((Y_AT + i) * 4);
        }
        assertTrue(FusedCases.worst(got, java.util.Arrays.copyOfRange(refDx, X_AT, refDx.length), 1e-4, 1e-3) <= 1,
                "dx against the double reference");
        assertTrue(FusedCases.worst(dGammaNative, refGamma, 1e-4, 1e-4) <= 1, "dγ against the double reference");
        assertTrue(FusedCases.worst(dBetaNative, refBeta, 1e-5, 1e-5) <= 1, "dβ against the double reference");
    }

    @ParameterizedTest
    @MethodSource("widths")
    void backwardWithResidualIsTheHeapKernelOnTheForwardsSum(int cols) {
        float[] x = FusedCases.uniform(X_AT + ROWS * cols, 3, cols + 10);
        float[] res = FusedCases.uniform(RES_AT + ROWS * cols, 2, cols + 11);
        float[] dy = FusedCases.uniform(X_AT + ROWS * cols, 1, cols + 12);
        float[] gamma = FusedCases.uniform(cols, 1, cols + 13);
        float[] beta = FusedCases.uniform(cols, 1, cols + 14);
        float eps = 1e-12f;
        // the sum exactly as the forward forms it (its stored pass-1 values, before normalising)
        float[] sum = x.clone();
        for (int i = 0; i < ROWS * cols; i++) {
            sum[X_AT + i] = x[X_AT + i] + res[RES_AT + i];
        }
        float[] forwardOnSum = sum.clone();
        TransformerKernels.biasResidualLayerNorm(forwardOnSum, X_AT, ROWS, cols, null, null, 0, gamma, beta, eps);
        float[] forwardWithResidual = x.clone();
        TransformerKernels.biasResidualLayerNorm(forwardWithResidual, X_AT, ROWS, cols, null, res, RES_AT, gamma, beta,
                eps);
        for (int i = 0; i < ROWS * cols; i++) {
            assertEquals(Float.floatToRawIntBits(forwardOnSum[X_AT + i]),
                    Float.floatToRawIntBits(forwardWithResidual[X_AT + i]), "the forward normalises that sum, " + i);
        }
        float[] dx = new float[x.length];
        float[] dGamma = new float[cols];
        float[] dBeta = new float[cols];
        BackwardKernels.layerNorm(sum, dy, dx, X_AT, ROWS, cols, gamma, eps, dGamma, dBeta);

        ByteBuffer dxb = FusedCases.direct(new float[Y_AT + ROWS * cols]);
        float[] dGammaNative = new float[cols];
        float[] dBetaNative = new float[cols];
        NativeLayerNorm.backward(FusedCases.direct(x), X_AT, FusedCases.direct(res), RES_AT, FusedCases.direct(dy), X_AT,
                dxb, Y_AT, ROWS, cols, gamma, eps, dGammaNative, dBetaNative);
        for (int i = 0; i < ROWS * cols; i++) {
            assertEquals(Float.floatToRawIntBits(dx[X_AT + i]), Float.floatToRawIntBits(dxb.getFloat((Y_AT + i) * 4)),
                    "dx, element " + i);
        }
        for (int c = 0; c < cols; c++) {
            assertEquals(Float.floatToRawIntBits(dGamma[c]), Float.floatToRawIntBits(dGammaNative[c]), "dγ " + c);
            assertEquals(Float.floatToRawIntBits(dBeta[c]), Float.floatToRawIntBits(dBetaNative[c]), "dβ " + c);
        }

        // the residual's gradient written with dx (at another offset of another buffer): dx again, bit for bit
        ByteBuffer dxAgain = FusedCases.direct(new float[Y_AT + ROWS * cols]);
        ByteBuffer drb = FusedCases.direct(new float[RES_AT + ROWS * cols]);
        float[] unusedGamma = new float[cols];
        float[] unusedBeta = new float[cols];
        NativeLayerNorm.backward(FusedCases.direct(x), X_AT, null, FusedCases.direct(res), RES_AT, FusedCases.direct(dy),
                X_AT, dxAgain, Y_AT, drb, RES_AT, ROWS, cols, gamma, eps, unusedGamma, unusedBeta);
        for (int i = 0; i < ROWS * cols; i++) {
            assertEquals(Float.floatToRawIntBits(dx[X_AT + i]), Float.floatToRawIntBits(dxAgain.getFloat((Y_AT + i) * 4)),
                    "dx with a copy, element " + i);
            assertEquals(Float.floatToRawIntBits(dx[X_AT + i]), Float.floatToRawIntBits(drb.getFloat((RES_AT + i) * 4)),
                    "the copy, element " + i);
        }
        for (int i = 0; i < RES_AT; i++) {
            assertEquals(0, Float.floatToRawIntBits(drb.getFloat(i * 4)), "the copy's buffer before its offset, " + i);
        }
    }

    /**
     * The layer norm of (x + bias) + residual, as the training graph's layer norm now takes the
     * output dense layers' bias: the backward's recomputed sum is the forward's (x + bias) +
     * residual, so dx, dγ and dβ are bit for bit the heap gradient kernel's on the forward's
     * stored sum; the bias is added before the residual, not after (a different rounding: fails
     * if the order is swapped, checked by mutation).
     */
    @ParameterizedTest
    @MethodSource("widths")
    void backwardWithBiasAndResidualIsTheHeapKernelOnTheForwardsSum(int cols) {
        float[] x = FusedCases.uniform(X_AT + ROWS * cols, 3, cols + 20);
        float[] bias = FusedCases.uniform(cols, 2, cols + 21);
        float[] res = FusedCases.uniform(RES_AT + ROWS * cols, 2, cols + 22);
        float[] dy = FusedCases.uniform(X_AT + ROWS * cols, 1, cols + 23);
        float[] gamma = FusedCases.uniform(cols, 1, cols + 24);
        float[] beta = FusedCases.uniform(cols, 1, cols + 25);
        float eps = 1e-12f;
        // the sum as the forward forms it: the bias first, then the residual
        float[] sum = x.clone();
        for (int i = 0; i < ROWS * cols; i++) {
            sum[X_AT + i] = (x[X_AT + i] + bias[i % cols]) + res[RES_AT + i];
        }
        float[] forwardOnSum = sum.clone();
        TransformerKernels.biasResidualLayerNorm(forwardOnSum, X_AT, ROWS, cols, null, null, 0, gamma, beta, eps);
        float[] forward = x.clone();
        TransformerKernels.biasResidualLayerNorm(forward, X_AT, ROWS, cols, bias, res, RES_AT, gamma, beta, eps);
        for (int i = 0; i < ROWS * cols; i++) {
            assertEquals(Float.floatToRawIntBits(forwardOnSum[X_AT + i]), Float.floatToRawIntBits(forward[X_AT + i]),
                    "the forward normalises (x + bias) + residual, " + i);
        }
        float[] dx = new float[x.length];
        float[] dGamma = new float[cols];
        float[] dBeta = new float[cols];
        BackwardKernels.layerNorm(sum, dy, dx, X_AT, ROWS, cols, gamma, eps, dGamma, dBeta);

        ByteBuffer dxb = FusedCases.direct(new float[Y_AT + ROWS * cols]);
        ByteBuffer drb = FusedCases.direct(new float[RES_AT + ROWS * cols]);
        float[] dGammaNative = new float[cols];
        float[] dBetaNative = new float[cols];
        NativeLayerNorm.backward(FusedCases.direct(x), X_AT, bias, FusedCases.direct(res), RES_AT, FusedCases.direct(dy),
                X_AT, dxb, Y_AT, drb, RES_AT, ROWS, cols, gamma, eps, dGammaNative, dBetaNative);
        for (int i = 0; i < ROWS * cols; i++) {
            assertEquals(Float.floatToRawIntBits(dx[X_AT + i]), Float.floatToRawIntBits(dxb.getFloat((Y_AT + i) * 4)),
                    "dx, element " + i);
            assertEquals(Float.floatToRawIntBits(dx[X_AT + i]), Float.floatToRawIntBits(drb.getFloat((RES_AT + i) * 4)),
                    "the residual's gradient, element " + i);
        }
        for (int c = 0; c < cols; c++) {
            assertEquals(Float.floatToRawIntBits(dGamma[c]), Float.floatToRawIntBits(dGammaNative[c]), "dγ " + c);
            assertEquals(Float.floatToRawIntBits(dBeta[c]), Float.floatToRawIntBits(dBetaNative[c]), "dβ " + c);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeLayerNorm.backward(
                FusedCases.direct(x), X_AT, new float[cols - 1], null, 0, FusedCases.direct(dy), X_AT, dxb, Y_AT, null, 0,
                ROWS, cols, gamma, eps, dGammaNative, dBetaNative));
        assertEquals("NativeLayerNorm.backward: the bias needs " + cols + " values, got " + (cols - 1), e.getMessage());
    }

    @Test
    void aCopyBufferThatDoesNotFitIsNamed() {
        ByteBuffer rows = FusedCases.direct(new float[16]);
        float[] g = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeLayerNorm.backward(rows, 0,
                null, null, 0, rows, 0, FusedCases.direct(new float[16]), 0, FusedCases.direct(new float[15]), 0, 4, 4, g,
                1e-5f, new float[4], new float[4]));
        assertTrue(e.getMessage().contains("4 × 4 floats of dx copy from float 0 do not fit its buffer of 60 bytes"),
                e.getMessage());
    }

    @Test
    void buffersThatDoNotFitOrAreInTheWrongOrderAreNamed() {
        ByteBuffer small = FusedCases.direct(new float[10]);
        float[] g = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeLayerNorm.forward(small, 0, null, 0, FusedCases.direct(new float[16]), 0, 4, 4, null, g, g, 1e-5f));
        assertTrue(e.getMessage().contains("4 × 4 floats of x from float 0 do not fit its buffer of 40 bytes"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeLayerNorm.forward(FusedCases.direct(new float[16]), 0,
                small, 0, FusedCases.direct(new float[16]), 0, 4, 4, null, g, g, 1e-5f));
        assertTrue(e.getMessage().contains("of residual"), e.getMessage());
        ByteBuffer big = ByteBuffer.allocateDirect(64).order(ByteOrder.BIG_ENDIAN == ByteOrder.nativeOrder()
                ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        e = assertThrows(IllegalArgumentException.class, () -> NativeLayerNorm.backward(FusedCases.direct(new float[16]), 0, big,
                0, FusedCases.direct(new float[16]), 0, 4, 4, g, 1e-5f, g.clone(), g.clone()));
        assertTrue(e.getMessage().contains("dy must be a buffer in native byte order"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeLayerNorm.forward(FusedCases.direct(new float[16]), 0,
                null, 0, FusedCases.direct(new float[16]), 0, 4, 4, null, new float[3], g, 1e-5f));
        assertTrue(e.getMessage().contains("need 4 values"), e.getMessage());
    }
}
