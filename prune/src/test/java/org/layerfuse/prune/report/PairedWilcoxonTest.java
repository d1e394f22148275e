package org.layerfuse.prune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

class PairedWilcoxonTest {

    /*
     * Hollander, M. & Wolfe, D. A. (1973), Nonparametric Statistical Methods, Wiley, pp. 29f
     * (Hollander, Wolfe & Chicken, 3rd ed., Example 3.1): Hamilton depression scale factor IV of
     * nine patients at the first (x) and second (y) visit after a tranquilizer. The same data are
     * the example of R's ?wilcox.test, whose wilcox.test(x, y, paired = TRUE, alternative =
     * "greater") prints V = 40, p-value = 0.01953. The differences have no ties and no zeros, so
     * T+ = 40, T- = 45 - 40 = 5, and the exact one-sided p is #{sign patterns with T+ >= 40} / 2^9
     * = 10/512 = 0.01953125; two-sided 0.0390625.
     */
    static final double[] X = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    static final double[] Y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};

    @Test
    void hollanderWolfeHamiltonDepressionExample() {
        WilcoxonResult r = PairedWilcoxon.test(X, Y);
        assertEquals(9, r.n());
        assertEquals(0, r.zeros());
        assertEquals(40.0, r.wPlus(), 0.0);
        assertEquals(5.0, r.wMinus(), 0.0);
        assertEquals(5.0, r.w(), 0.0);
        assertEquals(WilcoxonResult.Method.EXACT, r.method());
        assertEquals(10.0 / 512 * 2, r.p(), 1e-12);
        assertEquals(0.01953, r.p() / 2, 5e-6, "R's one-sided p-value");
        assertTrue(r.meanDifference() > 0);
        assertNull(r.note());
        // swapping the samples swaps W+ and W- and keeps p
        WilcoxonResult swapped = PairedWilcoxon.test(Y, X);
        assertEquals(5.0, swapped.wPlus(), 0.0);
        assertEquals(r.p(), swapped.p(), 0.0);
    }

    @Test
    void zeroDifferencesAreDroppedBeforeRanking() {
        double[] x = Arrays.copyOf(X, 11);
        double[] y = Arrays.copyOf(Y, 11);
        x[9] = y[9] = 0.7;
        x[10] = y[10] = 2.25;
        WilcoxonResult r = PairedWilcoxon.test(x, y);
        assertEquals(11, r.pairs());
        assertEquals(2, r.zeros());
        assertEquals(9, r.n());
        assertEquals(40.0, r.wPlus(), 0.0);
        assertEquals(2 * 10.0 / 512, r.p(), 1e-12);
    }

    @Test
    void differencesEqualButForRoundingNoiseTie() {
        // 0.1 + 0.2 = 0.30000000000000004: without rounding |d| ranks would be 2 and 1, not 1.5 and 1.5
        WilcoxonResult r = PairedWilcoxon.test(new double[] {0.1 + 0.2, 0, 1, 2, 3, 4},
                new double[] {0, 0.3, 0, 0, 0, 0});
        assertEquals(1.5 + 3 + 4 + 5 + 6, r.wPlus(), 0.0);
        assertEquals(1.5, r.wMinus(), 0.0);
    }

    @Test
    void exactPValueMatchesEnumerationOfSignPatterns() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int n = 6 + rnd.nextInt(9);
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = rnd.nextDouble();
                y[i] = x[i] + (i + 1) * 0.01 * (rnd.nextDouble() < 0.3 ? 1 : -1); // |d| distinct
            }
            WilcoxonResult r = PairedWilcoxon.test(x, y);
            // W+ straight from the definition: ranks of |d| (all distinct here), summed over d > 0
            double[] abs = new double[n];
            for (int i = 0; i < n; i++) {
                abs[i] = Math.abs(x[i] - y[i]);
            }
            double[] sorted = abs.clone();
            Arrays.sort(sorted);
            double wPlus = 0;
            for (int i = 0; i < n; i++) {
                if (x[i] > y[i]) {
                    wPlus += Arrays.binarySearch(sorted, abs[i]) + 1;
                }
            }
            assertEquals(wPlus, r.wPlus(), 1e-9);
            assertEquals(n * (n + 1) / 2.0 - wPlus, r.wMinus(), 1e-9);
            double w = Math.min(wPlus, n * (n + 1) / 2.0 - wPlus);
            long atMost = 0;
            for (int mask = 0; mask < (1 << n); mask++) {
                int sum = 0;
                for (int j = 0; j < n; j++) {
                    if ((mask >> j & 1) == 1) {
                        sum += j + 1;
                    }
                }
                if (sum <= w) {
                    atMost++;
                }
            }
            assertEquals(Math.min(1.0, 2.0 * atMost / (1 << n)), r.p(), 1e-12, "n=" + n);
        }
    }

    @Test
    void pValueAtTheCentreIsCappedAtOne() {
        // d = 1, 2, -3: W+ = W- = 3; P(T+ >= 3) = 5/8, doubled 1.25 by commons-math
        WilcoxonResult r = PairedWilcoxon.test(new double[] {1, 2, 0}, new double[] {0, 0, 3});
        assertEquals(3.0, r.wPlus(), 0.0);
        assertEquals(1.0, r.p(), 0.0);
        assertNotNull(r.note(), "n = 3 cannot reach p < 0.05");
    }

    @Test
    void largeSamplesUseTheNormalApproximation() {
        int n = 25;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
            y[i] = (i % 3 == 0) ? x[i] + (i + 1) * 0.1 : x[i] - (i + 1) * 0.1; // |d| = 0.1 (i+1), distinct
        }
        WilcoxonResult r = PairedWilcoxon.test(x, y);
        assertEquals(WilcoxonResult.Method.NORMAL, r.method());
        double wPlus = 0;
        for (int i = 0; i < n; i++) {
            if (i % 3 != 0) {
                wPlus += i + 1;
            }
        }
        assertEquals(wPlus, r.wPlus(), 1e-9);
        // z = (W - n(n+1)/4 - 0.5) / sqrt(n(n+1)(2n+1)/24), W = min(W+, W-); p = 2 Phi(z)
        double w = Math.min(wPlus, n * (n + 1) / 2.0 - wPlus);
        double z = (w - n * (n + 1) / 4.0 - 0.5) / Math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0);
        double p = 2 * 0.5 * Erf.erfc(-z / Math.sqrt(2));
        assertEquals(p, r.p(), 1e-12);
    }

    @Test
    void smallOrEmptySamplesAreFlagged() {
        WilcoxonResult five = PairedWilcoxon.againstConstant(new double[] {1, 2, 3, 4, 5}, 0);
        assertEquals(2.0 / 32, five.p(), 1e-12, "all positive: the most extreme outcome");
        assertNotNull(five.note());
        WilcoxonResult none = PairedWilcoxon.againstConstant(new double[] {0.5, 0.5}, 0.5);
        assertEquals(WilcoxonResult.Method.NONE, none.method());
        assertTrue(Double.isNaN(none.p()));
        assertEquals(2, none.zeros());
        assertThrows(IllegalArgumentException.class, () -> PairedWilcoxon.test(new double[2], new double[3]));
    }
}
