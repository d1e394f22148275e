package org.layerfuse.engine.fused;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gradients of the element-wise parts of a post-LN transformer block (the training twin of
 * {@link TransformerKernels}), over row-major blocks of {@code rows × cols} floats from
 * {@code off}, on the Vector API at the preferred width with scalar tails.
 * {@link ScalarBackwardKernels} is the double version (float64 graphs and the reference).
 */
public final class BackwardKernels {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final float SQRT_HALF = (float) Math.sqrt(0.5);
    static final float INV_SQRT_2PI = (float) (1.0 / Math.sqrt(2 * Math.PI));
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_CUBIC = 0.044715f;

    private BackwardKernels() {
    }

    /**
     * Layer-norm gradient per row, y = (x − μ)·r·γ + β with r = 1/√(σ² + ε): with x̂ = (x − μ)·r
     * and g = dy·γ, dx = r·(g − mean(g) − x̂·mean(g·x̂)); adds Σ dy·x̂ to {@code dGamma} and
     * Σ dy to {@code dBeta}. {@code x}, {@code dy} and {@code dx} share the offset; {@code dx} may be {@code dy}.
     */
    public static void layerNorm(float[] x, float[] dy, float[] dx, int off, int rows, int cols, float[] gamma,
                                 float eps, float[] dGamma, float[] dBeta) {
        check("layerNorm", x, off, rows, cols);
        check("layerNorm", dy, off, rows, cols);
        check("layerNorm", dx, off, rows, cols);
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            FloatVector acc = FloatVector.zero(SPECIES);
            int c = 0;
            for (; c < bound; c += LANES) {
                acc = acc.add(FloatVector.fromArray(SPECIES, x, base + c));
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                sum += x[base + c];
            }
            float mean = sum / cols;
            float inv = TransformerKernels.inverseStd(x, base, cols, mean, eps);
            // Σ g and Σ g·x̂; dγ += dy·x̂, dβ += dy.
            FloatVector gs = FloatVector.zero(SPECIES);
            FloatVector gxs = FloatVector.zero(SPECIES);
            for (c = 0; c < bound; c += LANES) {
                FloatVector xh = FloatVector.fromArray(SPECIES, x, base + c).sub(mean).mul(inv);
                FloatVector d = FloatVector.fromArray(SPECIES, dy, base + c);
                FloatVector g = d.mul(FloatVector.fromArray(SPECIES, gamma, c));
                gs = gs.add(g);
                gxs = g.fma(xh, gxs);
                d.fma(xh, FloatVector.fromArray(SPECIES, dGamma, c)).intoArray(dGamma, c);
                d.add(FloatVector.fromArray(SPECIES, dBeta, c)).intoArray(dBeta, c);
            }
            float gSum = gs.reduceLanes(VectorOperators.ADD);
            float gxSum = gxs.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                float xh = (x[base + c] - mean) * inv;
                float d = dy[base + c];
                float g = d * gamma[c];
                gSum += g;
                gxSum += g * xh;
                dGamma[c] += d * xh;
                dBeta[c] += d;
            }
            float gMean = gSum / cols;
            float gxMean = gxSum / cols;
            for (c = 0; c < bound; c += LANES) {
                FloatVector xh = FloatVector.fromArray(SPECIES, x, base + c).sub(mean).mul(inv);
                FloatVector g = FloatVector.fromArray(SPECIES, dy, base + c).mul(FloatVector.fromArray(SPECIES, gamma, c));
                g.sub(gMean).sub(xh.mul(gxMean)).mul(inv).intoArray(dx, base + c);
            }
            for (; c < cols; c++) {
                float xh = (x[base + c] - mean) * inv;
                float g = dy[base + c] * gamma[c];
                dx[base + c] = (g - gMean - xh * gxMean) * inv;
            }
        }
    }

    /**
     * dx = dy·GELU'(x), exact form: GELU'(x) = ½(1 + erf(x/√2)) + x·φ(x), φ the normal density;
     * dx ≠ dy. The training graph gets the same bits as GELU'(x) from its forward
     * ({@link NativeGelu#erfWithDerivative}, {@link NativeGelu#erfDerivative}) times dy; this array
     * form is their reference in the tests and the benchmarks.
     */
    public static void geluErf(float[] x, float[] dy, float[] dx, int off, int n) {
        check("geluErf", x, off, 1, n);
        check("geluErf", dy, off, 1, n);
        check("geluErf", dx, off, 1, n);
        // The density into dx, erf into a scratch row, then the product (array passes: see FloatErf).
        // dx must therefore not be dy.
        if (dx == dy) {
            throw new IllegalArgumentException("geluErf: dx must not be dy");
        }
        normalDensity(x, dx, off, n);
        geluErfCombine(x, dy, dx, off, n);
    }

    private static void normalDensity(float[] x, float[] dx, int off, int n) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, off + i);
            v.mul(v).mul(-0.5f).intoArray(dx, off + i);
        }
        for (; i < n; i++) {
            float v = x[off + i];
            dx[off + i] = -0.5f * v * v;
        }
        FloatExp.exp(dx, off, dx, off, n);
        scale(dx, off, n, INV_SQRT_2PI);
    }

    private static void geluErfCombine(float[] x, float[] dy, float[] dx, int off, int n) {
        float[] erf = TransformerKernels.scratchRow(n);
        FloatErf.erf(x, off, SQRT_HALF, erf, 0, n);
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, off + i);
            FloatVector cdf = FloatVector.fromArray(SPECIES, erf, i).add(1f).mul(0.5f);
            v.fma(FloatVector.fromArray(SPECIES, dx, off + i), cdf).mul(FloatVector.fromArray(SPECIES, dy, off + i))
                    .intoArray(dx, off + i);
        }
        for (; i < n; i++) {
            float cdf = (erf[i] + 1f) * 0.5f;
            dx[off + i] = Math.fma(x[off + i], dx[off + i], cdf) * dy[off + i];
        }
    }

    private static void scale(float[] a, int off, int n, float factor) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, off + i).mul(factor).intoArray(a, off + i);
        }
        for (; i < n; i++) {
            a[off + i] *= factor;
        }
    }

    /**
     * dx = dy·GELU'(x), tanh form (dx ≠ dy): with u = √(2/π)(x + 0.044715x³) and t = tanh u,
     * GELU'(x) = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²). The training graph gives its
     * bits as {@link NativeGelu#tanhDerivative} (in its forward) times dy.
     */
    public static void geluTanh(float[] x, float[] dy, float[] dx, int off, int n) {
        check("geluTanh", x, off, 1, n);
        check("geluTanh", dy, off, 1, n);
        check("geluTanh", dx, off, 1, n);
        if (dx == dy) {
            throw new IllegalArgumentException("geluTanh: dx must not be dy");
        }
        // t = tanh u into dx first (an array pass: see FloatErf), then the derivative.
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, off + i);
            v.mul(v).mul(GELU_CUBIC).add(1f).mul(v).mul(SQRT_2_OVER_PI).intoArray(dx, off + i);
        }
        for (; i < n; i++) {
            float v = x[off + i];
            dx[off + i] = (1f + v * v * GELU_CUBIC) * v * SQRT_2_OVER_PI;
        }
        FloatExp.tanh(dx, off, dx, off, n);
        for (i = 0; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, off + i);
            FloatVector t = FloatVector.fromArray(SPECIES, dx, off + i);
            FloatVector du = v.mul(v).mul(3 * GELU_CUBIC).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector sech2 = t.mul(t).neg().add(1f);
            FloatVector grad = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(du));
            grad.mul(FloatVector.fromArray(SPECIES, dy, off + i)).intoArray(dx, off + i);
        }
        for (; i < n; i++) {
            float v = x[off + i];
            float t = dx[off + i];
            float du = (1f + 3 * GELU_CUBIC * v * v) * SQRT_2_OVER_PI;
            dx[off + i] = (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * du) * dy[off + i];
        }
    }

    /** acc[c] += Σ_r x[r, c] over the block, rows in order (a dense layer's bias gradient). */
    public static void columnSums(float[] x, int off, int rows, int cols, float[] acc) {
        check("columnSums", x, off, rows, cols);
        if (acc.length < cols) {
            throw new IllegalArgumentException("columnSums: accumulator of " + acc.length + " for " + cols + " columns");
        }
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, acc, c).add(FloatVector.fromArray(SPECIES, x, base + c)).intoArray(acc, c);
            }
            for (; c < cols; c++) {
                acc[c] += x[base + c];
            }
        }
    }

    private static void check(String kernel, float[] a, int off, int rows, int cols) {
        if (off < 0 || rows < 0 || cols < 0 || off + (long) rows * cols > a.length) {
            throw new IllegalArgumentException(kernel + ": " + rows + " × " + cols + " values from " + off
                    + " do not fit an array of " + a.length);
        }
    }
}
