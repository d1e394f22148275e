package org.layerfuse.engine.fused;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Layer norm and its gradient over rows of floats in native memory (direct buffers in native
 * order), row by row with no copy to the heap: {@link TransformerKernels#biasResidualLayerNorm}
 * and {@link BackwardKernels#layerNorm} do the same arithmetic on heap arrays, after a copy out
 * of native memory and before a copy back. A row (a few kilobytes) stays in the first-level
 * cache through its passes, so the copies were most of the memory traffic. The lanes see the
 * same operations in the same order as the heap kernels', so the results are bit for bit
 * theirs (tested); the heap kernels remain the reference and the benchmark baseline.
 */
public final class NativeLayerNorm {

    private static final jdk.incubator.vector.VectorSpecies<Float> SPECIES = TransformerKernels.SPECIES;
    private static final int LANES = TransformerKernels.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private NativeLayerNorm() {
    }

    /**
     * y = LayerNorm(x + bias + residual)·γ + β per row, for {@code rows × cols} floats from float
     * index {@code xAt} of {@code x} into float index {@code yAt} of {@code y} ({@code y} may be
     * {@code x} at the same index: in place). {@code bias} and {@code residual} may be null
     * (then not added); the residual's rows start at float index {@code resAt}.
     */
    public static void forward(ByteBuffer x, int xAt, ByteBuffer residual, int resAt, ByteBuffer y, int yAt, int rows,
                               int cols, float[] bias, float[] gamma, float[] beta, float eps) {
        check("forward", "x", x, xAt, rows, cols);
        check("forward", "y", y, yAt, rows, cols);
        if (residual != null) {
            check("forward", "residual", residual, resAt, rows, cols);
        }
        if (gamma.length < cols || beta.length < cols || bias != null && bias.length < cols) {
            throw new IllegalArgumentException("NativeLayerNorm.forward: gamma, beta and bias need " + cols
                    + " values, got " + gamma.length + ", " + beta.length + ", " + (bias == null ? "none" : bias.length));
        }
        for (int r = 0; r < rows; r++) {
            forwardRow(x, 4 * (xAt + r * cols), residual, 4 * (resAt + r * cols), y, 4 * (yAt + r * cols), cols, bias,
                    gamma, beta, eps);
        }
    }

    /** One row of {@link #forward}, byte offsets. */
    private static void forwardRow(ByteBuffer x, int from, ByteBuffer residual, int res, ByteBuffer y, int to,
                                   int cols, float[] bias, float[] gamma, float[] beta, float eps) {
        int bound = SPECIES.loopBound(cols);
        // Pass 1: y = x + bias + residual (stored), Σ y.
        FloatVector acc = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(SPECIES, x, from + 4 * c, ORDER);
            if (bias != null) {
                v = v.add(FloatVector.fromArray(SPECIES, bias, c));
            }
            if (residual != null) {
                v = v.add(FloatVector.fromByteBuffer(SPECIES, residual, res + 4 * c, ORDER));
            }
            v.intoByteBuffer(y, to + 4 * c, ORDER);
            acc = acc.add(v);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float v = x.getFloat(from + 4 * c);
            if (bias != null) {
                v += bias[c];
            }
            if (residual != null) {
                v += residual.getFloat(res + 4 * c);
            }
            y.putFloat(to + 4 * c, v);
            sum += v;
        }
        float mean = sum / cols;
        float inv = inverseStd(y, to, cols, mean, eps);
        // Pass 3: normalise, scale, shift.
        for (c = 0; c < bound; c += LANES) {
            FloatVector.fromByteBuffer(SPECIES, y, to + 4 * c, ORDER).sub(mean).mul(inv)
                    .fma(FloatVector.fromArray(SPECIES, gamma, c), FloatVector.fromArray(SPECIES, beta, c))
                    .intoByteBuffer(y, to + 4 * c, ORDER);
        }
        for (; c < cols; c++) {
            y.putFloat(to + 4 * c, Math.fma((y.getFloat(to + 4 * c) - mean) * inv, gamma[c], beta[c]));
        }
    }

    /**
     * Layer norm's gradient per row (the statistics recomputed from x): dx, and dγ += dy·x̂,
     * dβ += dy accumulated row after row into the caller's arrays, for {@code rows × cols}
     * floats from float indices {@code xAt}, {@code dyAt}, {@code dxAt} ({@code dx} may be
     * {@code dy} at the same index).
     */
    public static void backward(ByteBuffer x, int xAt, ByteBuffer dy, int dyAt, ByteBuffer dx, int dxAt, int rows,
                                int cols, float[] gamma, float eps, float[] dGamma, float[] dBeta) {
        check("backward", "x", x, xAt, rows, cols);
        check("backward", "dy", dy, dyAt, rows, cols);
        check("backward", "dx", dx, dxAt, rows, cols);
        if (gamma.length < cols || dGamma.length < cols || dBeta.length < cols) {
            throw new IllegalArgumentException("NativeLayerNorm.backward: gamma, dGamma and dBeta need " + cols
                    + " values, got " + gamma.length + ", " + dGamma.length + ", " + dBeta.length);
        }
        for (int r = 0; r < rows; r++) {
            backwardRow(x, 4 * (xAt + r * cols), dy, 4 * (dyAt + r * cols), dx, 4 * (dxAt + r * cols), cols, gamma,
                    eps, dGamma, dBeta);
        }
    }

    /** One row of {@link #backward}, byte offsets. */
    private static void backwardRow(ByteBuffer x, int xb, ByteBuffer dy, int dyb, ByteBuffer dx, int dxb, int cols,
                                    float[] gamma, float eps, float[] dGamma, float[] dBeta) {
        int bound = SPECIES.loopBound(cols);
        FloatVector acc = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c < bound; c += LANES) {
            acc = acc.add(FloatVector.fromByteBuffer(SPECIES, x, xb + 4 * c, ORDER));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            sum += x.getFloat(xb + 4 * c);
        }
        float mean = sum / cols;
        float inv = inverseStd(x, xb, cols, mean, eps);
        // Σ g and Σ g·x̂; dγ += dy·x̂, dβ += dy.
        FloatVector gs = FloatVector.zero(SPECIES);
        FloatVector gxs = FloatVector.zero(SPECIES);
        for (c = 0; c < bound; c += LANES) {
            FloatVector xh = FloatVector.fromByteBuffer(SPECIES, x, xb + 4 * c, ORDER).sub(mean).mul(inv);
            FloatVector d = FloatVector.fromByteBuffer(SPECIES, dy, dyb + 4 * c, ORDER);
            FloatVector g = d.mul(FloatVector.fromArray(SPECIES, gamma, c));
            gs = gs.add(g);
            gxs = g.fma(xh, gxs);
            d.fma(xh, FloatVector.fromArray(SPECIES, dGamma, c)).intoArray(dGamma, c);
            d.add(FloatVector.fromArray(SPECIES, dBeta, c)).intoArray(dBeta, c);
        }
        float gSum = gs.reduceLanes(VectorOperators.ADD);
        float gxSum = gxs.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float xh = (x.getFloat(xb + 4 * c) - mean) * inv;
            float d = dy.getFloat(dyb + 4 * c);
            float g = d * gamma[c];
            gSum += g;
            gxSum += g * xh;
            dGamma[c] += d * xh;
            dBeta[c] += d;
        }
        float gMean = gSum / cols;
        float gxMean = gxSum / cols;
        for (c = 0; c < bound; c += LANES) {
            FloatVector xh = FloatVector.fromByteBuffer(SPECIES, x, xb + 4 * c, ORDER).sub(mean).mul(inv);
            FloatVector g = FloatVector.fromByteBuffer(SPECIES, dy, dyb + 4 * c, ORDER)
                    .mul(FloatVector.fromArray(SPECIES, gamma, c));
            g.sub(gMean).sub(xh.mul(gxMean)).mul(inv).intoByteBuffer(dx, dxb + 4 * c, ORDER);
        }
        for (; c < cols; c++) {
            float xh = (x.getFloat(xb + 4 * c) - mean) * inv;
            float g = dy.getFloat(dyb + 4 * c) * gamma[c];
            dx.putFloat(dxb + 4 * c, (g - gMean - xh * gxMean) * inv);
        }
    }

    /** {@link TransformerKernels#inverseStd} over a native row at byte offset {@code at}. */
    private static float inverseStd(ByteBuffer x, int at, int cols, float mean, float eps) {
        int bound = SPECIES.loopBound(cols);
        FloatVector sq = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector d = FloatVector.fromByteBuffer(SPECIES, x, at + 4 * c, ORDER).sub(mean);
            sq = d.fma(d, sq);
        }
        float ss = sq.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float d = x.getFloat(at + 4 * c) - mean;
            ss += d * d;
        }
        return (float) (1.0 / Math.sqrt(ss / cols + (double) eps));
    }

    private static void check(String what, String name, ByteBuffer b, int at, int rows, int cols) {
        if (rows < 0 || cols <= 0 || at < 0 || (at + (long) rows * cols) * Float.BYTES > b.limit()) {
            throw new IllegalArgumentException("NativeLayerNorm." + what + ": " + rows + " × " + cols + " floats of "
                    + name + " from float " + at + " do not fit its buffer of " + b.limit() + " bytes");
        }
        if (b.order() != ORDER) {
            throw new IllegalArgumentException("NativeLayerNorm." + what + ": " + name
                    + " must be a buffer in native byte order");
        }
    }
}
