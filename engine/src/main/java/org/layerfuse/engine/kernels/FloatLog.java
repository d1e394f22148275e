package org.layerfuse.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Natural logarithm of floats with the same bits on every run. JDK 17's lane-wise
 * {@code VectorOperators.LOG} gives different last bits depending on whether C2 has compiled the
 * loop yet (the compiled form calls the SVML library, the interpreted form {@code Math.log} per
 * lane), so entropies computed with it changed in the 13th digit between two runs of the same
 * study (measured: the attention-entropy signal of one layer, 1.5853927810311799 vs
 * …0305697, and with it the fusion regression's scores). This one is plain arithmetic (exactly
 * rounded fused multiply-adds), so vector lanes and the scalar tail agree bit for bit on every
 * run and every machine:
 * x = m·2ᵉ with m in [√½, √2), f = m − 1, log x = f − f²/2 + f³·P(f) + e·ln 2 with Cephes'
 * degree-8 polynomial P for {@code logf} and ln 2 in two parts (within 2 ulp of
 * {@code Math.log}, tested). Zero, negative, subnormal, infinite and NaN inputs take
 * {@link Math#log} (deterministic too), so the function is total.
 */
public final class FloatLog {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 7.0376836292E-2f;
    private static final float P1 = -1.1514610310E-1f;
    private static final float P2 = 1.1676998740E-1f;
    private static final float P3 = -1.2420140846E-1f;
    private static final float P4 = 1.4249322787E-1f;
    private static final float P5 = -1.6668057665E-1f;
    private static final float P6 = 2.0000714765E-1f;
    private static final float P7 = -2.4999993993E-1f;
    private static final float P8 = 3.3333331174E-1f;

    private FloatLog() {
    }

    /**
     * dst[i] = log(src[i]) for {@code n} values ({@code dst} may be {@code src}). An array
     * method, not a vector one: a vector helper compiled on its own is not inlined into later
     * callers and then runs boxed (see {@code FloatErf}).
     */
    public static void log(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        if (n < 0 || srcOff < 0 || dstOff < 0 || srcOff + n > src.length || dstOff + n > dst.length) {
            throw new IllegalArgumentException("FloatLog.log: " + n + " values at " + srcOff + " of " + src.length
                    + " into " + dstOff + " of " + dst.length);
        }
        int lanes = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            FloatVector x = FloatVector.fromArray(SPECIES, src, srcOff + i);
            VectorMask<Float> normal = x.compare(VectorOperators.GE, Float.MIN_NORMAL)
                    .and(x.compare(VectorOperators.LE, Float.MAX_VALUE));
            IntVector bits = (IntVector) x.reinterpretAsInts();
            // x = m·2^e with m in [0.5, 1)
            IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(126);
            FloatVector m = (FloatVector) bits.and(0x807FFFFF).or(0x3F000000).reinterpretAsFloats();
            VectorMask<Float> small = m.compare(VectorOperators.LT, SQRT_HALF);
            e = e.sub(1, small.cast(e.species()));
            FloatVector f = m.add(m.blend(0f, small.not())).sub(1f);
            FloatVector z = f.mul(f);
            FloatVector p = f.fma(P0, P1);
            p = f.fma(p, FloatVector.broadcast(SPECIES, P2));
            p = f.fma(p, FloatVector.broadcast(SPECIES, P3));
            p = f.fma(p, FloatVector.broadcast(SPECIES, P4));
            p = f.fma(p, FloatVector.broadcast(SPECIES, P5));
            p = f.fma(p, FloatVector.broadcast(SPECIES, P6));
            p = f.fma(p, FloatVector.broadcast(SPECIES, P7));
            p = f.fma(p, FloatVector.broadcast(SPECIES, P8));
            FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
            FloatVector y = p.mul(f).mul(z);
            y = ef.fma(FloatVector.broadcast(SPECIES, LN2_LO), y);
            y = z.fma(FloatVector.broadcast(SPECIES, -0.5f), y);
            FloatVector r = f.add(y);
            r = ef.fma(FloatVector.broadcast(SPECIES, LN2_HI), r);
            r.intoArray(dst, dstOff + i);
            if (!normal.allTrue()) {
                for (int l = 0; l < lanes; l++) {
                    if (!normal.laneIsSet(l)) {
                        dst[dstOff + i + l] = (float) Math.log(src[srcOff + i + l]);
                    }
                }
            }
        }
        for (; i < n; i++) {
            dst[dstOff + i] = log(src[srcOff + i]);
        }
    }

    /** log x, the same arithmetic as the lanes of {@link #log(float[], int, float[], int, int)}. */
    public static float log(float x) {
        if (!(x >= Float.MIN_NORMAL && x <= Float.MAX_VALUE)) {
            return (float) Math.log(x);
        }
        int bits = Float.floatToRawIntBits(x);
        int e = (bits >>> 23) - 126;
        float m = Float.intBitsToFloat((bits & 0x807FFFFF) | 0x3F000000);
        float f;
        if (m < SQRT_HALF) {
            e -= 1;
            f = (m + m) - 1f;
        } else {
            f = (m + 0f) - 1f;
        }
        float z = f * f;
        float p = Math.fma(f, P0, P1);
        p = Math.fma(f, p, P2);
        p = Math.fma(f, p, P3);
        p = Math.fma(f, p, P4);
        p = Math.fma(f, p, P5);
        p = Math.fma(f, p, P6);
        p = Math.fma(f, p, P7);
        p = Math.fma(f, p, P8);
        float ef = e;
        float y = (p * f) * z;
        y = Math.fma(ef, LN2_LO, y);
        y = Math.fma(z, -0.5f, y);
        float r = f + y;
        return Math.fma(ef, LN2_HI, r);
    }
}
