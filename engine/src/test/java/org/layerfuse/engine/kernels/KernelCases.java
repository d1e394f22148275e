package org.layerfuse.engine.kernels;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** Inputs shared by the kernel tests: awkward lengths around the vector width and special values. */
final class KernelCases {

    static final int LANES = VectorKernels.LANES;

    private KernelCases() {
    }

    /** 0, 1, lanes ± 1, 4·lanes ± 1 (the unroll), one block + 1, and 10⁶ + 3. */
    static IntStream lengths() {
        return IntStream.of(0, 1, LANES - 1, LANES, LANES + 1, 4 * LANES - 1, 4 * LANES + 1, VectorKernels.BLOCK + 1,
                1_000_003).filter(n -> n >= 0).distinct();
    }

    /** N(0.3, 1) values with about 10% exact zeros (some of them −0.0f), seeded by the length. */
    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 31 + n);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            a[i] = u < 0.05 ? 0f : u < 0.1 ? -0f : (float) (0.3 + gaussian(r));
        }
        return a;
    }

    /** Named special inputs of length n ≥ 1. */
    static Stream<Case> specials(int n) {
        float[] zeros = new float[n];
        float[] one = new float[n];
        one[n / 2] = -2.5f;
        float[] negative = random(n, 7);
        for (int i = 0; i < n; i++) {
            negative[i] = -Math.abs(negative[i]) - 1e-3f;
        }
        float[] constant = new float[n];
        java.util.Arrays.fill(constant, 0.75f);
        return Stream.of(new Case("all zeros", zeros), new Case("one non-zero", one), new Case("all negative", negative),
                new Case("constant", constant));
    }

    static double gaussian(SplittableRandom r) {
        double u = r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }

    /** Copies {@code a} into a new array of length a.length + pad·2 at offset pad, other slots filled with junk (7). */
    static float[] padded(float[] a, int pad) {
        float[] p = new float[a.length + 2 * pad];
        java.util.Arrays.fill(p, 7f);
        System.arraycopy(a, 0, p, pad, a.length);
        return p;
    }

    record Case(String name, float[] values) {
        @Override
        public String toString() {
            return name + " (n=" + values.length + ")";
        }
    }
}
