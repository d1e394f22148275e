package org.layerfuse.engine.fused;

import java.util.SplittableRandom;

/** Random inputs for the fused-kernel tests, as float arrays, their exact double copies and direct buffers. */
final class FusedCases {

    static final int LANES = TransformerKernels.LANES;

    private FusedCases() {
    }

    /** The values in a direct buffer in native byte order (as ND4J's arrays hold them). */
    static java.nio.ByteBuffer direct(float[] values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(values.length * Float.BYTES)
                .order(java.nio.ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return b;
    }

    /** Widths around the vector length and the real hidden sizes. */
    static int[] widths() {
        return new int[] {1, 3, LANES - 1, LANES, LANES + 1, 2 * LANES + 5, 384, 771};
    }

    static float[] uniform(int n, double spread, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 7919 + n);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(-spread, spread);
        }
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** max over i of |actual − expected| / (abs + rel·|expected|); ≤ 1 means within tolerance. */
    static double worst(float[] actual, double[] expected, double abs, double rel) {
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]) / (abs + rel * Math.abs(expected[i]));
            if (!(err <= worst)) {
                worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
            }
        }
        return worst;
    }
}
