package org.layerfuse.engine.fused;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Layer norm and its gradient over rows of floats in native memory (direct buffers in native
 * order), a row at a time: each native row is copied into a heap row of this thread (a few
 * kilobytes, in the first-level cache), {@link TransformerKernels#biasResidualLayerNorm} or
 * {@link BackwardKernels#layerNorm} runs on it, and the result is copied back: the heap kernels'
 * arithmetic, so their bits. The graph's ops and the fused forward used to stage blocks of 16 Ki
 * floats (64 KB an array: the second-level cache); a row at a time was 1–13 % faster on the
 * forward's rows (interleaved loops at MiniLM's and BERT-base's widths) and within 6 % of passes
 * reading the direct buffer with vector loads, which had to write the heap kernels' arithmetic
 * out a second time.
 */
public final class NativeLayerNorm {

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[3][0]);

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
        FloatBuffer xs = x.asFloatBuffer();
        FloatBuffer ys = y.asFloatBuffer();
        FloatBuffer rs = residual == null ? null : residual.asFloatBuffer();
        float[] v = row(0, cols);
        float[] w = rs == null ? null : row(1, cols);
        for (int r = 0; r < rows; r++) {
            xs.get(xAt + r * cols, v, 0, cols);
            if (rs != null) {
                rs.get(resAt + r * cols, w, 0, cols);
            }
            TransformerKernels.biasResidualLayerNorm(v, 0, 1, cols, bias, w, 0, gamma, beta, eps);
            ys.put(yAt + r * cols, v, 0, cols);
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
        backward(x, xAt, null, 0, dy, dyAt, dx, dxAt, rows, cols, gamma, eps, dGamma, dBeta);
    }

    /**
     * As above for a layer norm of x + residual ({@link #forward} with a residual and no bias):
     * each row's sum is formed again as the forward formed it (one float addition per element,
     * the same bits), so the sum need not be kept. {@code residual} may be null.
     */
    public static void backward(ByteBuffer x, int xAt, ByteBuffer residual, int resAt, ByteBuffer dy, int dyAt,
                                ByteBuffer dx, int dxAt, int rows, int cols, float[] gamma, float eps, float[] dGamma,
                                float[] dBeta) {
        backward(x, xAt, null, residual, resAt, dy, dyAt, dx, dxAt, null, 0, rows, cols, gamma, eps, dGamma, dBeta);
    }

    /**
     * As above for a layer norm of x + bias + residual ({@link #forward} with both): each row's
     * sum is formed again as the forward formed it, (x + bias) + residual, one float addition
     * each; {@code bias} and {@code residual} may be null (then not added). The input gradient
     * is written to {@code dx} and, unless null, again to {@code dxCopy} (the residual's gradient,
     * which equals dx: one more store per row instead of a copy that reads dx back).
     */
    public static void backward(ByteBuffer x, int xAt, float[] bias, ByteBuffer residual, int resAt, ByteBuffer dy,
                                int dyAt, ByteBuffer dx, int dxAt, ByteBuffer dxCopy, int copyAt, int rows, int cols,
                                float[] gamma, float eps, float[] dGamma, float[] dBeta) {
        if (bias != null && bias.length < cols) {
            throw new IllegalArgumentException("NativeLayerNorm.backward: the bias needs " + cols + " values, got "
                    + bias.length);
        }
        if (dxCopy != null) {
            check("backward", "dx copy", dxCopy, copyAt, rows, cols);
        }
        check("backward", "x", x, xAt, rows, cols);
        check("backward", "dy", dy, dyAt, rows, cols);
        check("backward", "dx", dx, dxAt, rows, cols);
        if (residual != null) {
            check("backward", "residual", residual, resAt, rows, cols);
        }
        if (gamma.length < cols || dGamma.length < cols || dBeta.length < cols) {
            throw new IllegalArgumentException("NativeLayerNorm.backward: gamma, dGamma and dBeta need " + cols
                    + " values, got " + gamma.length + ", " + dGamma.length + ", " + dBeta.length);
        }
        FloatBuffer xs = x.asFloatBuffer();
        FloatBuffer rs = residual == null ? null : residual.asFloatBuffer();
        FloatBuffer dys = dy.asFloatBuffer();
        FloatBuffer dxs = dx.asFloatBuffer();
        FloatBuffer copies = dxCopy == null ? null : dxCopy.asFloatBuffer();
        float[] xr = row(0, cols);
        float[] g = row(1, cols);
        float[] w = rs == null ? null : row(2, cols);
        for (int r = 0; r < rows; r++) {
            xs.get(xAt + r * cols, xr, 0, cols);
            if (bias != null) {
                for (int c = 0; c < cols; c++) {
                    xr[c] += bias[c];
                }
            }
            if (rs != null) {
                rs.get(resAt + r * cols, w, 0, cols);
                for (int c = 0; c < cols; c++) {
                    xr[c] += w[c];
                }
            }
            dys.get(dyAt + r * cols, g, 0, cols);
            BackwardKernels.layerNorm(xr, g, g, 0, 1, cols, gamma, eps, dGamma, dBeta);
            dxs.put(dxAt + r * cols, g, 0, cols);
            if (copies != null) {
                copies.put(copyAt + r * cols, g, 0, cols);
            }
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
