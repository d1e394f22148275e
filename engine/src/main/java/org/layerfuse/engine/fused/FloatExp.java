package org.layerfuse.engine.fused;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp and tanh of float lanes. JDK 17's lane-wise {@code EXP} and {@code TANH} were no faster
 * than a scalar loop here (measured: softmax rows 1.0–1.2× the double loop, tanh-GELU 3.6×
 * slower than the erf-GELU whose erf is a rational polynomial), so they are computed directly:
 * exp(x) = 2ⁿ·e^r with n = round(x·log₂e), r = x − n·ln 2 (two-part ln 2), e^r by its Taylor
 * polynomial to degree 7 on |r| ≤ ln2/2 (relative error ≤ 3e-8 before rounding); 2ⁿ built in
 * the exponent bits. Below ln(2⁻¹²⁶) the result is exactly 0 (so masked softmax keys get
 * exactly zero weight, as in the graph); above 88 it is clamped (e⁸⁸ ≈ 1.65e38, finite).
 * tanh(y) = 1 − 2/(e^{2y} + 1): absolute error ~1e-7 (relative error grows near 0, which the
 * GELU's factor y makes harmless). Both work on arrays (see {@link #exp(float[], int, float[], int, int)}).
 */
public final class FloatExp {

    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer held in the low mantissa bits. */
    static final float ROUNDER = 12582912f;
    static final int ROUNDER_BITS = 0x4B400000;
    static final float MIN_ARG = -87.33654f;
    static final float MAX_ARG = 88f; // n ≤ 127: 2ⁿ stays a finite float

    private static final jdk.incubator.vector.VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private FloatExp() {
    }

    /**
     * dst[i] = e^{src[i]} for {@code n} values ({@code dst} may be {@code src}); the tail uses
     * {@link Math#exp}. An array method, not a vector one, for the reason {@link FloatErf#erf(float[],
     * int, float, float[], int, int)} gives.
     */
    public static void exp(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        check("exp", src, srcOff, dst, dstOff, n);
        int lanes = SPECIES.length();
        int vectors = n / lanes;
        expVectors(src, srcOff, dst, dstOff, vectors, lanes);
        for (int i = vectors * lanes; i < n; i++) {
            dst[dstOff + i] = (float) Math.exp(src[srcOff + i]);
        }
    }

    /**
     * In place, one vector of lanes per row: x[off + r·stride + l] = e^{x[…]} for r &lt; rows and
     * l &lt; the vector width (a column strip of a row-major block; the same bits as
     * {@link #exp(float[], int, float[], int, int)}).
     */
    public static void expRows(float[] x, int off, int rows, int stride) {
        int lanes = SPECIES.length();
        if (rows < 0 || stride < lanes || off < 0 || rows > 0 && off + (long) (rows - 1) * stride + lanes > x.length) {
            throw new IllegalArgumentException("FloatExp.expRows: " + rows + " rows " + stride + " apart from " + off
                    + " (a vector of " + lanes + " each) do not fit an array of " + x.length);
        }
        expVectors(x, off, x, off, rows, stride);
    }

    /** The vector body of both: {@code count} whole vectors, {@code stride} apart in src and dst. */
    private static void expVectors(float[] src, int srcOff, float[] dst, int dstOff, int count, int stride) {
        for (int v = 0, s = srcOff, d = dstOff; v < count; v++, s += stride, d += stride) {
            FloatVector x = FloatVector.fromArray(SPECIES, src, s);
            var underflow = x.lt(MIN_ARG);
            FloatVector c = x.max(MIN_ARG).min(MAX_ARG);
            FloatVector t = c.fma(LOG2E, ROUNDER);
            FloatVector k = t.sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), c);
            r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector p = r.fma(1f / 5040f, 1f / 720f);
            p = r.fma(p, FloatVector.broadcast(SPECIES, 1f / 120f));
            p = r.fma(p, FloatVector.broadcast(SPECIES, 1f / 24f));
            p = r.fma(p, FloatVector.broadcast(SPECIES, 1f / 6f));
            p = r.fma(p, FloatVector.broadcast(SPECIES, 0.5f));
            p = r.fma(p, FloatVector.broadcast(SPECIES, 1f));
            p = r.fma(p, FloatVector.broadcast(SPECIES, 1f));
            IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS).add(127)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector scale = (FloatVector) bits.reinterpretAsFloats();
            p.mul(scale).blend(0f, underflow).intoArray(dst, d);
        }
    }

    /** dst[i] = tanh(src[i]) = 1 − 2/(e^{2·src[i]} + 1) for {@code n} values ({@code dst} may be {@code src}). */
    public static void tanh(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        check("tanh", src, srcOff, dst, dstOff, n);
        int lanes = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            FloatVector y = FloatVector.fromArray(SPECIES, src, srcOff + i);
            y.add(y).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = src[srcOff + i] + src[srcOff + i];
        }
        exp(dst, dstOff, dst, dstOff, n);
        for (i = 0; i < bound; i += lanes) {
            FloatVector e = FloatVector.fromArray(SPECIES, dst, dstOff + i);
            FloatVector.broadcast(SPECIES, 1f).sub(FloatVector.broadcast(SPECIES, 2f).div(e.add(1f)))
                    .intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = 1f - 2f / (dst[dstOff + i] + 1f);
        }
    }

    private static void check(String what, float[] src, int srcOff, float[] dst, int dstOff, int n) {
        if (n < 0 || srcOff < 0 || dstOff < 0 || srcOff + n > src.length || dstOff + n > dst.length) {
            throw new IllegalArgumentException("FloatExp." + what + ": " + n + " values from " + srcOff + " / " + dstOff
                    + " do not fit arrays of " + src.length + " / " + dst.length);
        }
    }
}
