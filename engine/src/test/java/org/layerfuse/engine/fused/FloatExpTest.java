package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The vector exp and tanh against {@link Math#exp} / {@link Math#tanh} in double. */
class FloatExpTest {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** The array methods over whole vectors (the tests' lengths are multiples of the lane count). */
    private static float[] apply(float[] x, boolean tanh) {
        float[] out = new float[x.length];
        if (tanh) {
            FloatExp.tanh(x, 0, out, 0, x.length);
        } else {
            FloatExp.exp(x, 0, out, 0, x.length);
        }
        return out;
    }

    private static float[] grid(float from, float to, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = from + (to - from) * i / (n - 1);
        }
        return x;
    }

    @Test
    void expIsWithinTwoUlpsOverTheNormalRange() {
        int n = SPECIES.length() * 40_000;
        float[] x = grid(-87.3f, 88f, n);
        float[] y = apply(x, false);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double ref = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - ref) / ref);
        }
        assertTrue(worst < 2.5e-7, "max relative exp error " + worst);
    }

    @Test
    void expUnderflowsToExactlyZeroAndStaysFiniteAbove() {
        float[] x = new float[SPECIES.length()];
        java.util.Arrays.fill(x, -Float.MAX_VALUE);
        x[0] = -88f;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = 0f;
        if (x.length > 4) {
            x[3] = 1000f;
            x[4] = -10000f;
        }
        float[] y = apply(x, false);
        assertEquals(0f, y[0], "exp(-88) is below the smallest normal float: 0");
        assertEquals(0f, y[1]);
        assertEquals(1f, y[2], 1e-7f);
        if (x.length > 4) {
            assertTrue(Float.isFinite(y[3]) && y[3] > 1e38f, "exp(1000) clamps to a finite value, got " + y[3]);
            assertEquals(0f, y[4]);
        }
    }

    @Test
    void tanhIsWithinAFewUlpsAbsolute() {
        int n = SPECIES.length() * 20_000;
        float[] x = grid(-60f, 60f, n);
        float[] y = apply(x, true);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(y[i] - Math.tanh(x[i])));
        }
        assertTrue(worst < 3e-7, "max |tanh error| " + worst);
    }

    /** A scalar tail and in-place use: the tail is Math.exp, the vector body the polynomial. */
    @Test
    void arrayMethodsHandleTailsOffsetsAndInPlace() {
        int n = 3 * SPECIES.length() + 3;
        float[] x = grid(-5f, 5f, n + 1);
        float[] out = new float[n + 2];
        FloatExp.exp(x, 1, out, 2, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Math.exp(x[1 + i]), out[2 + i], 3e-7 * Math.exp(x[1 + i]), "exp(" + x[1 + i] + ")");
        }
        float[] y = x.clone();
        FloatExp.tanh(y, 1, y, 1, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Math.tanh(x[1 + i]), y[1 + i], 3e-7, "tanh(" + x[1 + i] + ")");
        }
        assertEquals(x[0], y[0], "nothing before the offset");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> FloatExp.exp(new float[4], 0, new float[3], 0, 4));
    }

    /** Column strips: the contiguous method's bits, only the strip's lanes touched, bounds named. */
    @Test
    void expRowsIsTheArrayMethodDownAColumnStrip() {
        int lanes = SPECIES.length();
        int stride = 3 * lanes;
        int rows = 5;
        float[] x = grid(-100f, 90f, 1 + rows * stride);
        float[] strip = x.clone();
        FloatExp.expRows(strip, 1 + lanes, rows, stride);
        float[] whole = new float[x.length];
        FloatExp.exp(x, 0, whole, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            int col = (i - 1) % stride;
            boolean inStrip = i >= 1 && col >= lanes && col < 2 * lanes;
            float expected = inStrip ? whole[i] : x[i];
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(strip[i]),
                    "value " + i + (inStrip ? " (in the strip)" : " (outside it, untouched)"));
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> FloatExp.expRows(new float[2 * stride], stride + 1, 2, stride));
        assertTrue(e.getMessage().contains("2 rows " + stride + " apart from " + (stride + 1)), e.getMessage());
    }
}
