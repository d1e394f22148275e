package org.layerfuse.prune.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.math3.stat.inference.WilcoxonSignedRankTest;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * Wilcoxon signed-rank tests through commons-math3's {@link WilcoxonSignedRankTest}; this class
 * only prepares the pairs and labels the result:
 * <ul>
 *   <li>zero differences (|d| ≤ 1e-12·max(1, |x|, |y|)) are dropped, as in Wilcoxon's original
 *       test; commons-math would rank them and count them in W−;</li>
 *   <li>the other differences are rounded to 12 significant digits, so that differences equal
 *       but for floating-point noise (means of accuracies) tie, and tied |d| get the average of
 *       their ranks;</li>
 *   <li>p is two-sided: exact for n ≤ {@value #EXACT_MAX_N} (commons-math allows 30, but
 *       enumerates all 2^n sign patterns, about half a minute at n = 30) and capped at 1
 *       (commons-math doubles the upper tail, which exceeds 1 when W sits at the centre);
 *       the normal approximation above that;</li>
 *   <li>with n &lt; {@value #MIN_TESTABLE_N} no outcome can reach p &lt; 0.05 (the smallest exact
 *       p is 2<sup>1−n</sup>), so such results carry a note.</li>
 * </ul>
 */
public final class PairedWilcoxon {

    /** Largest n with an exact p-value. */
    public static final int EXACT_MAX_N = 20;
    /** Smallest n at which p &lt; 0.05 is possible. */
    public static final int MIN_TESTABLE_N = 6;

    private static final WilcoxonSignedRankTest TEST = new WilcoxonSignedRankTest(NaNStrategy.FAILED,
            TiesStrategy.AVERAGE);
    private static final MathContext DIGITS = new MathContext(12);
    private static final NaturalRanking RANKING = new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE);

    private PairedWilcoxon() {
    }

    /** Tests x against y pairwise. */
    public static WilcoxonResult test(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("paired samples differ in length: " + x.length + " vs " + y.length);
        }
        int pairs = x.length;
        double[] d = new double[pairs];
        int n = 0;
        for (int i = 0; i < pairs; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new IllegalArgumentException("pair " + i + " is not finite: " + x[i] + ", " + y[i]);
            }
            double scale = Math.max(1.0, Math.max(Math.abs(x[i]), Math.abs(y[i])));
            if (Math.abs(x[i] - y[i]) > 1e-12 * scale) {
                d[n++] = new BigDecimal(x[i] - y[i]).round(DIGITS).doubleValue();
            }
        }
        int zeros = pairs - n;
        if (n == 0) {
            return new WilcoxonResult(pairs, zeros, 0, 0, 0, 0, Double.NaN, WilcoxonResult.Method.NONE,
                    pairs == 0 ? "no pairs" : "all " + pairs + " differences are zero");
        }
        d = Arrays.copyOf(d, n);
        double[] abs = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            abs[i] = Math.abs(d[i]);
            mean += d[i] / n;
        }
        double[] ranks = RANKING.rank(abs);
        double wPlus = 0;
        for (int i = 0; i < n; i++) {
            if (d[i] > 0) {
                wPlus += ranks[i];
            }
        }
        double wMinus = n * (n + 1) / 2.0 - wPlus;
        boolean exact = n <= EXACT_MAX_N;
        // commons-math ranks |0 − d| = |d|: the same ranks, statistic and p as for the pairs
        double p = Math.min(1.0, TEST.wilcoxonSignedRankTest(d, new double[n], exact));
        String note = null;
        if (n < MIN_TESTABLE_N) {
            note = String.format(Locale.ROOT, "n = %d is too small: p cannot fall below %.4g", n,
                    Math.pow(2, 1 - n));
        }
        return new WilcoxonResult(pairs, zeros, n, mean, wPlus, wMinus, p,
                exact ? WilcoxonResult.Method.EXACT : WilcoxonResult.Method.NORMAL, note);
    }

    /** Tests x against a constant (the one-sample signed-rank test of x − c). */
    public static WilcoxonResult againstConstant(double[] x, double c) {
        double[] y = new double[x.length];
        Arrays.fill(y, c);
        return test(x, y);
    }
}
