package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FloatLogTest {

    /** Distance in units in the last place between two finite floats of the same sign. */
    private static long ulps(float a, float b) {
        return Math.abs((long) Float.floatToIntBits(a) - Float.floatToIntBits(b));
    }

    private static float[] samples() {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[200_000];
        int i = 0;
        for (; i < 100_000; i++) { // log-uniform over the normal range
            x[i] = (float) Math.exp(r.nextDouble(Math.log(Float.MIN_NORMAL), Math.log(Float.MAX_VALUE)));
        }
        for (; i < 190_000; i++) { // densely around 1, where log is small and relative error shows
            x[i] = (float) r.nextDouble(0.5, 2.0);
        }
        float[] edges = {Float.MIN_NORMAL, Float.MAX_VALUE, 1f, Math.nextUp(1f), Math.nextDown(1f), 0.70710677f,
            Math.nextUp(0.70710677f), Math.nextDown(0.70710677f), 1.4142135f, 2f, 0.5f, 1e-12f, 1e-30f, 3e38f};
        for (float e : edges) {
            x[i++] = e;
        }
        while (i < x.length) {
            x[i++] = (float) r.nextDouble(1e-12, 1.0); // probabilities plus ε
        }
        return x;
    }

    @Test
    void withinTwoUlpOfMathLogOverTheNormalRange() {
        float[] x = samples();
        float[] got = new float[x.length];
        FloatLog.log(x, 0, got, 0, x.length);
        long worst = 0;
        for (int i = 0; i < x.length; i++) {
            float expected = (float) Math.log(x[i]);
            if (expected == 0f) {
                assertEquals(0f, got[i], "log(1)");
                continue;
            }
            long u = ulps(expected, got[i]);
            assertTrue(u <= 2, "log(" + x[i] + "): " + got[i] + " vs " + expected + " (" + u + " ulp)");
            worst = Math.max(worst, u);
        }
        System.out.println("FloatLog: worst " + worst + " ulp over " + x.length + " values");
    }

    @Test
    void lanesAndScalarGiveTheSameBits() {
        float[] x = samples();
        float[] vector = new float[x.length];
        FloatLog.log(x, 0, vector, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(FloatLog.log(x[i])), Float.floatToRawIntBits(vector[i]), "x = " + x[i]);
        }
        // Each value through the vector body in one call and the scalar tail in another.
        for (int n = 1; n <= 40; n++) {
            float[] out = new float[n];
            FloatLog.log(x, 7, out, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(vector[7 + i]), Float.floatToRawIntBits(out[i]), "n " + n + ", i " + i);
            }
        }
    }

    /** The reason for the class: the bits do not depend on how far the JIT has got. */
    @Test
    void sameBitsColdAndAfterWarmUp() {
        float[] x = samples();
        float[] cold = new float[256];
        FloatLog.log(x, 1000, cold, 0, cold.length);
        float[] warm = new float[256];
        for (int rep = 0; rep < 20_000; rep++) {
            FloatLog.log(x, 1000 + (rep % 7), warm, 0, warm.length);
        }
        FloatLog.log(x, 1000, warm, 0, warm.length);
        assertArrayEquals(cold, warm);
    }

    @Test
    void specialValuesFollowMathLog() {
        float[] x = {0f, -0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, 1e-40f, Float.NEGATIVE_INFINITY};
        float[] padded = new float[64];
        java.util.Arrays.fill(padded, 1f);
        System.arraycopy(x, 0, padded, 0, x.length);
        float[] got = new float[64];
        FloatLog.log(padded, 0, got, 0, 64);
        for (int i = 0; i < x.length; i++) {
            float expected = (float) Math.log(x[i]);
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got[i]), "log(" + x[i] + ")");
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(FloatLog.log(x[i])), "scalar log(" + x[i] + ")");
        }
    }
}
