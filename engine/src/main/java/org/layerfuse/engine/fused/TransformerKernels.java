package org.layerfuse.engine.fused;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise work of a post-LN transformer block, in place over row-major blocks
 * ({@code rows × cols} floats from {@code off}), on the Vector API at the preferred width with
 * scalar tails. Each kernel does in one pass over the block what a graph does in several ops,
 * with the graph's arithmetic order, so results match it to float rounding.
 * {@link ScalarTransformerKernels} is the double reference.
 */
public final class TransformerKernels {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final float SQRT_HALF = (float) Math.sqrt(0.5);
    static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    static final float GELU_CUBIC = 0.044715f;

    private TransformerKernels() {
    }

    /** x[r, c] += bias[c]. */
    public static void biasAdd(float[] x, int off, int rows, int cols, float[] bias) {
        check("biasAdd", x, off, rows, cols, bias);
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, x, base + c).add(FloatVector.fromArray(SPECIES, bias, c))
                        .intoArray(x, base + c);
            }
            for (; c < cols; c++) {
                x[base + c] += bias[c];
            }
        }
    }

    /**
     * x = GELU(x + bias), exact form ½·y·(1 + erf(y·√½)), as (erf(y·√½) + 1)·y·½, a row at a
     * time: y = x + bias in place, erf of the row into this thread's scratch row
     * ({@link FloatErf#erf(float[], int, float, float[], int, int)}), then the product. The
     * product code runs {@link NativeGelu#biasGeluErf} instead (the same bits without the copies
     * in and out of native memory); this array form stays as its bit-for-bit reference in the
     * tests and the benchmarks' heap baseline.
     */
    public static void biasGeluErf(float[] x, int off, int rows, int cols, float[] bias) {
        check("biasGeluErf", x, off, rows, cols, bias);
        float[] e = scratchRow(cols);
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            biasAdd(x, base, 1, cols, bias);
            FloatErf.erf(x, base, SQRT_HALF, e, 0, cols);
            halfProduct(e, x, base, cols);
        }
    }

    /**
     * x = GELU(x + bias), tanh form, as (tanh((y + y³·0.044715)·√(2/π)) + 1)·y·½, a row at a
     * time like {@link #biasGeluErf}; likewise the reference of {@link NativeGelu#biasGeluTanh}.
     */
    public static void biasGeluTanh(float[] x, int off, int rows, int cols, float[] bias) {
        check("biasGeluTanh", x, off, rows, cols, bias);
        float[] t = scratchRow(cols);
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            biasAdd(x, base, 1, cols, bias);
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector y = FloatVector.fromArray(SPECIES, x, base + c);
                y.add(y.mul(y).mul(y).mul(GELU_CUBIC)).mul(SQRT_2_OVER_PI).intoArray(t, c);
            }
            for (; c < cols; c++) {
                float y = x[base + c];
                t[c] = (y + y * y * y * GELU_CUBIC) * SQRT_2_OVER_PI;
            }
            FloatExp.tanh(t, 0, t, 0, cols);
            halfProduct(t, x, base, cols);
        }
    }

    /** x[base + c] = (f[c] + 1)·x[base + c]·½: the last step of both GELU forms. */
    private static void halfProduct(float[] f, float[] x, int base, int cols) {
        int bound = SPECIES.loopBound(cols);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector.fromArray(SPECIES, f, c).add(1f).mul(FloatVector.fromArray(SPECIES, x, base + c)).mul(0.5f)
                    .intoArray(x, base + c);
        }
        for (; c < cols; c++) {
            x[base + c] = (f[c] + 1f) * x[base + c] * 0.5f;
        }
    }

    private static final ThreadLocal<float[]> SCRATCH_ROW = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's scratch row of at least {@code cols} floats. */
    static float[] scratchRow(int cols) {
        float[] row = SCRATCH_ROW.get();
        if (row.length < cols) {
            row = new float[cols];
            SCRATCH_ROW.set(row);
        }
        return row;
    }

    /** x = max(x + bias, 0). */
    public static void biasRelu(float[] x, int off, int rows, int cols, float[] bias) {
        check("biasRelu", x, off, rows, cols, bias);
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off; r < rows; r++, base += cols) {
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, x, base + c).add(FloatVector.fromArray(SPECIES, bias, c)).max(0f)
                        .intoArray(x, base + c);
            }
            for (; c < cols; c++) {
                x[base + c] = Math.max(x[base + c] + bias[c], 0f);
            }
        }
    }

    /**
     * x = LayerNorm(x + bias + residual)·γ + β per row, with the biased variance and ε inside
     * the root: (y − mean)/√(var + ε)·γ + β. Mean and variance are two passes over the row
     * (a centred second pass, no E[y²] − mean² cancellation). {@code residual} is read at
     * {@code resOff} with the same row stride; bias or residual may be null (skipped).
     */
    public static void biasResidualLayerNorm(float[] x, int off, int rows, int cols, float[] bias, float[] residual,
                                             int resOff, float[] gamma, float[] beta, float eps) {
        check("biasResidualLayerNorm", x, off, rows, cols, gamma);
        if (bias != null && bias.length < cols || beta.length < cols) {
            throw new IllegalArgumentException("biasResidualLayerNorm: bias and beta need " + cols + " values");
        }
        if (residual != null && (resOff < 0 || resOff + (long) rows * cols > residual.length)) {
            throw new IllegalArgumentException("biasResidualLayerNorm: residual rows [" + resOff + ", +" + rows * cols
                    + ") are outside its " + residual.length + " values");
        }
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off, rb = resOff; r < rows; r++, base += cols, rb += cols) {
            // Pass 1: y = x + bias + residual (stored), Σ y.
            FloatVector acc = FloatVector.zero(SPECIES);
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector y = FloatVector.fromArray(SPECIES, x, base + c);
                if (bias != null) {
                    y = y.add(FloatVector.fromArray(SPECIES, bias, c));
                }
                if (residual != null) {
                    y = y.add(FloatVector.fromArray(SPECIES, residual, rb + c));
                }
                y.intoArray(x, base + c);
                acc = acc.add(y);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                float y = x[base + c];
                if (bias != null) {
                    y += bias[c];
                }
                if (residual != null) {
                    y += residual[rb + c];
                }
                x[base + c] = y;
                sum += y;
            }
            float mean = sum / cols;
            // Pass 2: Σ (y − mean)².
            float inv = inverseStd(x, base, cols, mean, eps);
            // Pass 3: normalise, scale, shift.
            for (c = 0; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, x, base + c).sub(mean).mul(inv)
                        .fma(FloatVector.fromArray(SPECIES, gamma, c), FloatVector.fromArray(SPECIES, beta, c))
                        .intoArray(x, base + c);
            }
            for (; c < cols; c++) {
                x[base + c] = Math.fma((x[base + c] - mean) * inv, gamma[c], beta[c]);
            }
        }
    }

    /**
     * 1/√(var + ε) of the row of {@code cols} values at {@code base}, with its mean given: the
     * centred second pass (no E[y²] − mean² cancellation). Shared by the layer norm and its
     * gradient, which recomputes the statistics.
     */
    static float inverseStd(float[] x, int base, int cols, float mean, float eps) {
        int bound = SPECIES.loopBound(cols);
        FloatVector sq = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector d = FloatVector.fromArray(SPECIES, x, base + c).sub(mean);
            sq = d.fma(d, sq);
        }
        float ss = sq.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float d = x[base + c] - mean;
            ss += d * d;
        }
        return (float) (1.0 / Math.sqrt(ss / cols + (double) eps));
    }

    /**
     * Row-wise softmax(x·scale + mask) in place, over {@code cols} values of rows {@code stride}
     * apart; {@code mask} (additive, {@code cols} values from {@code maskOff}) is shared by all rows.
     * {@link AttentionKernel} no longer calls it (it softmaxes down the columns of the transposed
     * scores, without the two reductions across lanes a row costs here); kept as a kernel of its
     * own, tested against the double loop, with its JMH row.
     */
    public static void scaleMaskSoftmax(float[] x, int off, int rows, int cols, int stride, float scale, float[] mask,
                                        int maskOff) {
        if (rows < 0 || cols <= 0 || stride < cols || off < 0 || off + (long) (rows - 1) * stride + cols > x.length
                || maskOff < 0 || maskOff + cols > mask.length) {
            throw new IllegalArgumentException("scaleMaskSoftmax: " + rows + " rows of " + cols + " (stride " + stride
                    + ") from " + off + " do not fit " + x.length + " values, or the mask from " + maskOff
                    + " does not fit " + mask.length);
        }
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = off; r < rows; r++, base += stride) {
            FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector s = FloatVector.fromArray(SPECIES, x, base + c).mul(scale)
                        .add(FloatVector.fromArray(SPECIES, mask, maskOff + c));
                s.intoArray(x, base + c);
                max = max.max(s);
            }
            float m = max.reduceLanes(VectorOperators.MAX);
            for (; c < cols; c++) {
                float s = x[base + c] * scale + mask[maskOff + c];
                x[base + c] = s;
                m = Math.max(m, s);
            }
            for (c = 0; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, x, base + c).sub(m).intoArray(x, base + c);
            }
            for (; c < cols; c++) {
                x[base + c] -= m;
            }
            FloatExp.exp(x, base, x, base, cols);
            FloatVector sum = FloatVector.zero(SPECIES);
            for (c = 0; c < bound; c += LANES) {
                sum = sum.add(FloatVector.fromArray(SPECIES, x, base + c));
            }
            float total = sum.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                total += x[base + c];
            }
            float inv = 1f / total;
            for (c = 0; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, x, base + c).mul(inv).intoArray(x, base + c);
            }
            for (; c < cols; c++) {
                x[base + c] *= inv;
            }
        }
    }

    private static void check(String kernel, float[] x, int off, int rows, int cols, float[] rowVector) {
        if (off < 0 || rows < 0 || cols < 0 || off + (long) rows * cols > x.length) {
            throw new IllegalArgumentException(kernel + ": " + rows + " rows of " + cols + " from " + off
                    + " do not fit an array of " + x.length);
        }
        if (rowVector != null && rowVector.length < cols) {
            throw new IllegalArgumentException(kernel + ": the row vector (bias or gamma) has " + rowVector.length
                    + " values, expected " + cols);
        }
    }
}
