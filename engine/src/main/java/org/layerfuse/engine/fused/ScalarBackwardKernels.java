package org.layerfuse.engine.fused;

/**
 * {@link BackwardKernels} in double, one value at a time: the float64 path of the Java graph
 * ops and the reference their float kernels are tested against.
 */
public final class ScalarBackwardKernels {

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    private ScalarBackwardKernels() {
    }

    /** See {@link BackwardKernels#layerNorm}. */
    public static void layerNorm(double[] x, double[] dy, double[] dx, int off, int rows, int cols, double[] gamma,
                                 double eps, double[] dGamma, double[] dBeta) {
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            double mean = mean(x, base, cols);
            double inv = inverseStd(x, base, cols, mean, eps);
            double gSum = 0;
            double gxSum = 0;
            for (int c = 0; c < cols; c++) {
                double xh = (x[base + c] - mean) * inv;
                double g = dy[base + c] * gamma[c];
                gSum += g;
                gxSum += g * xh;
                dGamma[c] += dy[base + c] * xh;
                dBeta[c] += dy[base + c];
            }
            double gMean = gSum / cols;
            double gxMean = gxSum / cols;
            for (int c = 0; c < cols; c++) {
                double xh = (x[base + c] - mean) * inv;
                dx[base + c] = (dy[base + c] * gamma[c] - gMean - xh * gxMean) * inv;
            }
        }
    }

    /** acc[c] += Σ_r x[r, c], rows in order; see {@link BackwardKernels#columnSums}. */
    public static void columnSums(double[] x, int off, int rows, int cols, double[] acc) {
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            for (int c = 0; c < cols; c++) {
                acc[c] += x[base + c];
            }
        }
    }

    /** Layer norm forward per row, y = (x − μ)/√(σ² + ε)·γ + β (biased variance). */
    public static void layerNormForward(double[] x, double[] y, int off, int rows, int cols, double[] gamma,
                                        double[] beta, double eps) {
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            double mean = mean(x, base, cols);
            double inv = inverseStd(x, base, cols, mean, eps);
            for (int c = 0; c < cols; c++) {
                y[base + c] = (x[base + c] - mean) * inv * gamma[c] + beta[c];
            }
        }
    }

    private static double mean(double[] x, int base, int cols) {
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += x[base + c];
        }
        return sum / cols;
    }

    /** 1/√(var + ε) of a row, the centred second pass. */
    private static double inverseStd(double[] x, int base, int cols, double mean, double eps) {
        double ss = 0;
        for (int c = 0; c < cols; c++) {
            double d = x[base + c] - mean;
            ss += d * d;
        }
        return 1.0 / Math.sqrt(ss / cols + eps);
    }

    /** GELU, exact form ½x(1 + erf(x/√2)) = ½x·erfc(−x/√2). */
    public static double geluErf(double x) {
        return 0.5 * x * org.apache.commons.math3.special.Erf.erfc(-x * Math.sqrt(0.5));
    }

    /** GELU, tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
    }

    /** d GELU / dx, exact form. */
    public static double geluErfGrad(double x) {
        double cdf = 0.5 * org.apache.commons.math3.special.Erf.erfc(-x * Math.sqrt(0.5));
        return cdf + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /** d GELU / dx, tanh form. */
    public static double geluTanhGrad(double x) {
        double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x);
    }

    /** See {@link AttentionKernel#sequenceBackward}, in double, one value at a time. */
    public static void attention(double[] q, double[] k, double[] v, double[] dCtx, int off, int s, int heads, int d,
                                 double scale, double[] probs, int probsOff, double[] dq, double[] dk, double[] dv) {
        int h = heads * d;
        double[] dS = new double[s * s];
        for (int head = 0; head < heads; head++) {
            int ho = off + head * d;
            int po = probsOff + head * s * s;
            for (int i = 0; i < s; i++) {
                double dot = 0;
                double[] dP = new double[s];
                for (int j = 0; j < s; j++) {
                    double g = 0;
                    for (int e = 0; e < d; e++) {
                        g += dCtx[ho + i * h + e] * v[ho + j * h + e];
                    }
                    dP[j] = g;
                    dot += probs[po + i * s + j] * g;
                }
                for (int j = 0; j < s; j++) {
                    dS[i * s + j] = probs[po + i * s + j] * (dP[j] - dot) * scale;
                }
            }
            for (int i = 0; i < s; i++) {
                for (int e = 0; e < d; e++) {
                    double gq = 0;
                    double gk = 0;
                    double gv = 0;
                    for (int j = 0; j < s; j++) {
                        gq += dS[i * s + j] * k[ho + j * h + e];
                        gk += dS[j * s + i] * q[ho + j * h + e];
                        gv += probs[po + j * s + i] * dCtx[ho + j * h + e];
                    }
                    dq[ho + i * h + e] = gq;
                    dk[ho + i * h + e] = gk;
                    dv[ho + i * h + e] = gv;
                }
            }
        }
    }
}
