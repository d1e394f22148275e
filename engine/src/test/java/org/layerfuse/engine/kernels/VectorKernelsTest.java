package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VectorKernels} against {@link ScalarKernels} (double, element by element).
 *
 * <p>Tolerances: the vector sums keep at most 32 (8 lanes; fewer on wider vectors) floats per
 * lane before moving to double, so their error is below ~32·2⁻²⁴ ≈ 2e-6 of Σ|terms|; we allow
 * 1e-5·Σ|terms| (for sums of positive terms that is a relative 1e-5), up to 10⁶ + 3 elements.
 * Entropies use float p and a float log within 1 ulp: relative 1e-5 plus 1e-6 absolute
 * (the p ≈ 1 terms, whose log(p + ε) ≈ 0 is only known to float ulp 1.2e-7). Counts are exact.
 */
class VectorKernelsTest {

    private static final int PAD = 3;

    static IntStream lengths() {
        return KernelCases.lengths();
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void reductionsMatchScalarReferenceOnRandomInput(int n) {
        float[] a = KernelCases.padded(KernelCases.random(n, 1), PAD);
        assertReductionsMatch(a, PAD, n);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void specialInputsMatchScalarReference(int n) {
        if (n == 0) {
            return;
        }
        KernelCases.specials(n).forEach(c -> assertReductionsMatch(KernelCases.padded(c.values(), PAD), PAD, n));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void dotMatchesScalarReference(int n) {
        float[] a = KernelCases.padded(KernelCases.random(n, 2), PAD);
        float[] b = KernelCases.random(n + 5, 3);
        double ref = ScalarKernels.dot(a, PAD, b, 5, n);
        double scale = 0;
        for (int i = 0; i < n; i++) {
            scale += Math.abs((double) a[PAD + i] * b[5 + i]);
        }
        assertEquals(ref, VectorKernels.dot(a, PAD, b, 5, n), 1e-5 * scale + 1e-30, "dot n=" + n);
    }

    static void assertReductionsMatch(float[] a, int from, int n) {
        double scale = ScalarKernels.sumAbs(a, from, n);
        String at = " (n=" + n + ")";
        assertEquals(ScalarKernels.sum(a, from, n), VectorKernels.sum(a, from, n), 1e-5 * scale, "sum" + at);
        assertEquals(scale, VectorKernels.sumAbs(a, from, n), 1e-5 * scale, "sumAbs" + at);
        double sq = ScalarKernels.sumSquares(a, from, n);
        assertEquals(sq, VectorKernels.sumSquares(a, from, n), 1e-5 * sq, "sumSquares" + at);
        assertEquals(Math.sqrt(sq), VectorKernels.l2Norm(a, from, n), 1e-5 * Math.sqrt(sq), "l2Norm" + at);
        assertEquals(ScalarKernels.countZeros(a, from, n), VectorKernels.countZeros(a, from, n), "countZeros" + at);
        double h = ScalarKernels.l1Entropy(a, from, n, VectorKernels.DEFAULT_EPS);
        assertEquals(h, VectorKernels.l1Entropy(a, from, n), 1e-5 * Math.abs(h) + 1e-6, "l1Entropy" + at);
        if (n > 0) {
            assertEquals(ScalarKernels.mean(a, from, n), VectorKernels.mean(a, from, n), 1e-5 * scale / n, "mean" + at);
            assertEquals(ScalarKernels.meanAbs(a, from, n), VectorKernels.meanAbs(a, from, n), 1e-5 * scale / n, "meanAbs" + at);
            assertEquals(ScalarKernels.meanSquare(a, from, n), VectorKernels.meanSquare(a, from, n), 1e-5 * sq / n,
                    "meanSquare" + at);
        }
    }

    @Test
    void emptyRangeGivesZeroSumsAndRejectsMeans() {
        float[] a = {1f, 2f};
        assertEquals(0.0, VectorKernels.sum(a, 1, 0));
        assertEquals(0L, VectorKernels.countZeros(a, 2, 0));
        assertEquals(0.0, VectorKernels.l1Entropy(a, 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorKernels.mean(a, 0, 0));
        assertTrue(e.getMessage().contains("mean"), e.getMessage());
    }

    @Test
    void closedForms() {
        int n = 1_000_003;
        float[] c = new float[n];
        java.util.Arrays.fill(c, -0.25f);
        // ℓ1 entropy of a constant vector is the entropy of the uniform distribution: log n.
        assertEquals(Math.log(n), VectorKernels.l1Entropy(c, 0, n), 1e-5 * Math.log(n));
        // one non-zero weight: p = 1, H = −log(1 + ε) ≈ 0
        float[] one = new float[n];
        one[12345] = 3f;
        assertEquals(0.0, VectorKernels.l1Entropy(one, 0, n), 1e-6);
        // 1, 2, ..., m: Σx = m(m+1)/2, Σx² = m(m+1)(2m+1)/6 (exact in float up to 2^24)
        int m = 4097;
        float[] ramp = new float[m];
        for (int i = 0; i < m; i++) {
            ramp[i] = i + 1;
        }
        assertEquals(m * (m + 1.0) / 2, VectorKernels.sum(ramp, 0, m), 1e-6 * m * m);
        assertEquals(m * (m + 1.0) * (2 * m + 1) / 6, VectorKernels.sumSquares(ramp, 0, m), 1e-6 * m * m * m);
        // −0.0 is an exact zero
        assertEquals(2, VectorKernels.countZeros(new float[] {-0f, 1f, 0f, Float.MIN_VALUE}, 0, 4));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void nanIsRejectedWithKernelNameAndIndex(int n) {
        if (n == 0) {
            return;
        }
        for (int at : new int[] {0, n / 2, n - 1}) {
            float[] a = KernelCases.padded(KernelCases.random(n, 4), PAD);
            a[PAD + at] = Float.NaN;
            int index = PAD + at;
            assertNaNRejected("sum", index, () -> VectorKernels.sum(a, PAD, n), () -> ScalarKernels.sum(a, PAD, n));
            assertNaNRejected("sumAbs", index, () -> VectorKernels.sumAbs(a, PAD, n), () -> ScalarKernels.sumAbs(a, PAD, n));
            assertNaNRejected("sumSquares", index, () -> VectorKernels.sumSquares(a, PAD, n),
                    () -> ScalarKernels.sumSquares(a, PAD, n));
            assertNaNRejected("l2Norm", index, () -> VectorKernels.l2Norm(a, PAD, n), () -> ScalarKernels.l2Norm(a, PAD, n));
            assertNaNRejected("countZeros", index, () -> VectorKernels.countZeros(a, PAD, n),
                    () -> ScalarKernels.countZeros(a, PAD, n));
            assertNaNRejected("mean", index, () -> VectorKernels.mean(a, PAD, n), () -> ScalarKernels.mean(a, PAD, n));
            assertNaNRejected("meanAbs", index, () -> VectorKernels.meanAbs(a, PAD, n), () -> ScalarKernels.meanAbs(a, PAD, n));
            assertNaNRejected("meanSquare", index, () -> VectorKernels.meanSquare(a, PAD, n),
                    () -> ScalarKernels.meanSquare(a, PAD, n));
            assertNaNRejected("l1Entropy", index, () -> VectorKernels.l1Entropy(a, PAD, n),
                    () -> ScalarKernels.l1Entropy(a, PAD, n, VectorKernels.DEFAULT_EPS));
            float[] b = KernelCases.random(n, 5);
            assertNaNRejected("dot (first input)", index, () -> VectorKernels.dot(a, PAD, b, 0, n),
                    () -> ScalarKernels.dot(a, PAD, b, 0, n));
        }
    }

    @Test
    void infinitiesAreNotNaNAndFollowIeee() {
        float[] a = {1f, Float.POSITIVE_INFINITY, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f};
        assertEquals(Double.POSITIVE_INFINITY, VectorKernels.sum(a, 0, a.length));
        assertEquals(0, VectorKernels.countZeros(a, 0, a.length));
        a[3] = Float.NEGATIVE_INFINITY;
        assertTrue(Double.isNaN(VectorKernels.sum(a, 0, a.length)), "+Inf + −Inf is NaN, returned as is");
    }

    @Test
    void badRangesAndEpsAreRejected() {
        float[] a = new float[10];
        assertThrows(IllegalArgumentException.class, () -> VectorKernels.sum(a, 5, 6));
        assertThrows(IllegalArgumentException.class, () -> VectorKernels.sum(a, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> VectorKernels.countZeros(a, 0, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorKernels.l1Entropy(a, 0, 10, 0f));
        assertTrue(e.getMessage().contains("eps"), e.getMessage());
    }

    static void assertNaNRejected(String kernel, int index, Function0 vector, Function0 scalar) {
        for (Function0 f : new Function0[] {vector, scalar}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::run);
            assertTrue(e.getMessage().startsWith(kernel + ":") && e.getMessage().contains("NaN at index " + index + " "),
                    "expected '" + kernel + ": ... NaN at index " + index + "', got: " + e.getMessage());
        }
    }

    @FunctionalInterface
    interface Function0 {
        Object run();
    }

}
