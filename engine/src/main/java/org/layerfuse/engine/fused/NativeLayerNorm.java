package org.layerfuse.engine.fused;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Layer norm and its gradient over rows of floats in native memory (direct buffers in native
 * order), a row at a time: each native row is read once into a heap row of this thread (a few
 * kilobytes, in the first-level cache), the passes run there, and the result is written once.
 * {@link TransformerKernels#biasResidualLayerNorm} and {@link BackwardKernels#layerNorm} do the
 * same arithmetic on heap arrays, after a copy of blocks of rows out of native memory and before
 * a copy back. The lanes see the same operations in the same order as the heap kernels', so the
 * results are bit for bit theirs (tested); the heap kernels remain the reference and the
 * benchmark baseline.
 */
public final class NativeLayerNorm {

    private static final jdk.incubator.vector.VectorSpecies<Float> SPECIES = TransformerKernels.SPECIES;
    private static final int LANES = TransformerKernels.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[2][0]);

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
        float[] v = row(0, cols);
        for (int r = 0; r < rows; r++) {
            forwardRow(x, 4 * (xAt + r * cols), residual, 4 * (resAt + r * cols), y, 4 * (yAt + r * cols), cols, bias,
                    gamma, beta, eps, v);
        }
    }

    /**
     * One row of {@link #forward}, byte offsets: pass 1 reads the native row (and residual) once
     * into the heap row {@code v}, passes 2 and 3 run there, pass 3 writes the native output.
     * (All passes on the native buffers ran 6 % slower on MiniLM's rows: a vector access to a
     * direct buffer costs more than one to an array in the first-level cache.)
     */
    private static void forwardRow(ByteBuffer x, int from, ByteBuffer residual, int res, ByteBuffer y, int to,
                                   int cols, float[] bias, float[] gamma, float[] beta, float eps, float[] v) {
        int bound = SPECIES.loopBound(cols);
        // Pass 1: v = x + bias + residual, Σ v.
        FloatVector acc = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector t = FloatVector.fromByteBuffer(SPECIES, x, from + 4 * c, ORDER);
            if (bias != null) {
                t = t.add(FloatVector.fromArray(SPECIES, bias, c));
            }
            if (residual != null) {
                t = t.add(FloatVector.fromByteBuffer(SPECIES, residual, res + 4 * c, ORDER));
            }
            t.intoArray(v, c);
            acc = acc.add(t);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float t = x.getFloat(from + 4 * c);
            if (bias != null) {
                t += bias[c];
            }
            if (residual != null) {
                t += residual.getFloat(res + 4 * c);
            }
            v[c] = t;
            sum += t;
        }
        float mean = sum / cols;
        float inv = TransformerKernels.inverseStd(v, 0, cols, mean, eps);
        // Pass 3: normalise, scale, shift, into the native output.
        for (c = 0; c < bound; c += LANES) {
            FloatVector.fromArray(SPECIES, v, c).sub(mean).mul(inv)
                    .fma(FloatVector.fromArray(SPECIES, gamma, c), FloatVector.fromArray(SPECIES, beta, c))
                    .intoByteBuffer(y, to + 4 * c, ORDER);
        }
        for (; c < cols; c++) {
            y.putFloat(to + 4 * c, Math.fma((v[c] - mean) * inv, gamma[c], beta[c]));
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
        float[] xs = row(0, cols);
        float[] ds = row(1, cols);
        for (int r = 0; r < rows; r++) {
            backwardRow(x, 4 * (xAt + r * cols), dy, 4 * (dyAt + r * cols), dx, 4 * (dxAt + r * cols), cols, gamma,
                    eps, dGamma, dBeta, xs, ds);
        }
    }

    /**
     * One row of {@link #backward}, byte offsets: x and dy read once from native memory into the
     * heap rows {@code xs} and {@code ds}, the passes of {@link BackwardKernels#layerNorm} there,
     * dx written once.
     */
    private static void backwardRow(ByteBuffer x, int xb, ByteBuffer dy, int dyb, ByteBuffer dx, int dxb, int cols,
                                    float[] gamma, float eps, float[] dGamma, float[] dBeta, float[] xs, float[] ds) {
        int bound = SPECIES.loopBound(cols);
        FloatVector acc = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector t = FloatVector.fromByteBuffer(SPECIES, x, xb + 4 * c, ORDER);
            t.intoArray(xs, c);
            FloatVector.fromByteBuffer(SPECIES, dy, dyb + 4 * c, ORDER).intoArray(ds, c);
            acc = acc.add(t);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            xs[c] = x.getFloat(xb + 4 * c);
            ds[c] = dy.getFloat(dyb + 4 * c);
            sum += xs[c];
        }
        float mean = sum / cols;
        float inv = TransformerKernels.inverseStd(xs, 0, cols, mean, eps);
        // Σ g and Σ g·x̂; dγ += dy·x̂, dβ += dy.
        FloatVector gs = FloatVector.zero(SPECIES);
        FloatVector gxs = FloatVector.zero(SPECIES);
        for (c = 0; c < bound; c += LANES) {
            FloatVector xh = FloatVector.fromArray(SPECIES, xs, c).sub(mean).mul(inv);
            FloatVector d = FloatVector.fromArray(SPECIES, ds, c);
            FloatVector g = d.mul(FloatVector.fromArray(SPECIES, gamma, c));
            gs = gs.add(g);
            gxs = g.fma(xh, gxs);
            d.fma(xh, FloatVector.fromArray(SPECIES, dGamma, c)).intoArray(dGamma, c);
            d.add(FloatVector.fromArray(SPECIES, dBeta, c)).intoArray(dBeta, c);
        }
        float gSum = gs.reduceLanes(VectorOperators.ADD);
        float gxSum = gxs.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float xh = (xs[c] - mean) * inv;
            float d = ds[c];
            float g = d * gamma[c];
            gSum += g;
            gxSum += g * xh;
            dGamma[c] += d * xh;
            dBeta[c] += d;
        }
        float gMean = gSum / cols;
        float gxMean = gxSum / cols;
        for (c = 0; c < bound; c += LANES) {
            FloatVector xh = FloatVector.fromArray(SPECIES, xs, c).sub(mean).mul(inv);
            FloatVector g = FloatVector.fromArray(SPECIES, ds, c).mul(FloatVector.fromArray(SPECIES, gamma, c));
            g.sub(gMean).sub(xh.mul(gxMean)).mul(inv).intoByteBuffer(dx, dxb + 4 * c, ORDER);
        }
        for (; c < cols; c++) {
            float xh = (xs[c] - mean) * inv;
            float g = ds[c] * gamma[c];
            dx.putFloat(dxb + 4 * c, (g - gMean - xh * gxMean) * inv);
        }
    }

    /** This thread's heap row number {@code which}, at least {@code cols} floats (grown on demand, kept). */
    private static float[] row(int which, int cols) {
        float[][] rows = ROWS.get();
        if (rows[which].length < cols) {
            rows[which] = new float[cols];
        }
        return rows[which];
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
