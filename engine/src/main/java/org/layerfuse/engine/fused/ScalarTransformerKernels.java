package org.layerfuse.engine.fused;

import org.apache.commons.math3.special.Erf;

/**
 * {@link TransformerKernels} and {@link AttentionKernel} in plain double loops, straight from
 * the formulas: the reference the vector kernels are tested against, and the float64 path of
 * the fused forward (where only correctness matters). Same signatures over double arrays.
 */
public final class ScalarTransformerKernels {

    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private ScalarTransformerKernels() {
    }

    public static void biasAdd(double[] x, int off, int rows, int cols, double[] bias) {
        for (int i = 0; i < rows * cols; i++) {
            x[off + i] += bias[i % cols];
        }
    }

    public static void biasGeluErf(double[] x, int off, int rows, int cols, double[] bias) {
        for (int i = 0; i < rows * cols; i++) {
            double y = x[off + i] + bias[i % cols];
            x[off + i] = 0.5 * y * (1 + Erf.erf(y * SQRT_HALF));
        }
    }

    public static void biasGeluTanh(double[] x, int off, int rows, int cols, double[] bias) {
        for (int i = 0; i < rows * cols; i++) {
            double y = x[off + i] + bias[i % cols];
            x[off + i] = 0.5 * y * (1 + Math.tanh(SQRT_2_OVER_PI * (y + 0.044715 * y * y * y)));
        }
    }

    public static void biasRelu(double[] x, int off, int rows, int cols, double[] bias) {
        for (int i = 0; i < rows * cols; i++) {
            x[off + i] = Math.max(0, x[off + i] + bias[i % cols]);
        }
    }

    /** See {@link TransformerKernels#biasResidualLayerNorm}; bias or residual may be null. */
    public static void biasResidualLayerNorm(double[] x, int off, int rows, int cols, double[] bias, double[] residual,
                                             int resOff, double[] gamma, double[] beta, double eps) {
        for (int r = 0; r < rows; r++) {
            int base = off + r * cols;
            double mean = 0;
            for (int c = 0; c < cols; c++) {
                double y = x[base + c] + (bias == null ? 0 : bias[c]) + (residual == null ? 0 : residual[resOff + r * cols + c]);
                x[base + c] = y;
                mean += y;
            }
            mean /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                var += (x[base + c] - mean) * (x[base + c] - mean);
            }
            double inv = 1 / Math.sqrt(var / cols + eps);
            for (int c = 0; c < cols; c++) {
                x[base + c] = (x[base + c] - mean) * inv * gamma[c] + beta[c];
            }
        }
    }

    public static void scaleMaskSoftmax(double[] x, int off, int rows, int cols, int stride, double scale, double[] mask,
                                        int maskOff) {
        for (int r = 0; r < rows; r++) {
            int base = off + r * stride;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                x[base + c] = x[base + c] * scale + mask[maskOff + c];
                max = Math.max(max, x[base + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                x[base + c] = Math.exp(x[base + c] - max);
                sum += x[base + c];
            }
            for (int c = 0; c < cols; c++) {
                x[base + c] /= sum;
            }
        }
    }

    /** See {@link AttentionKernel#sequence}; needs no work array. */
    public static void attention(double[] q, double[] k, double[] v, int off, int s, int heads, int d, double scale,
                                 double[] mask, int maskOff, double[] ctx, int ctxOff, double[] probs, int probsOff) {
        int h = heads * d;
        double[] p = new double[s];
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += q[off + i * h + head * d + e] * k[off + j * h + head * d + e];
                    }
                    p[j] = dot;
                }
                scaleMaskSoftmax(p, 0, 1, s, s, scale, mask, maskOff);
                for (int e = 0; e < d; e++) {
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        sum += p[j] * v[off + j * h + head * d + e];
                    }
                    ctx[ctxOff + i * h + head * d + e] = sum;
                }
                if (probs != null) {
                    System.arraycopy(p, 0, probs, probsOff + (head * s + i) * s, s);
                }
            }
        }
    }
}
