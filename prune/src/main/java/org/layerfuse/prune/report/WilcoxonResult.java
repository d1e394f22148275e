package org.layerfuse.prune.report;

/**
 * A two-sided Wilcoxon signed-rank test of paired values x<sub>i</sub>, y<sub>i</sub> with
 * d<sub>i</sub> = x<sub>i</sub> − y<sub>i</sub>.
 *
 * @param pairs          pairs given
 * @param zeros          pairs with d = 0, dropped before ranking (Wilcoxon's treatment)
 * @param n              pairs ranked, {@code pairs − zeros}
 * @param meanDifference mean of the non-zero d (its sign is the direction of the effect)
 * @param wPlus          W+, the sum of the ranks of |d| over d &gt; 0 (ties get average ranks)
 * @param wMinus         W−, the same over d &lt; 0; W+ + W− = n(n+1)/2
 * @param p              two-sided p-value, NaN when {@code n == 0}
 * @param method         how p was computed
 * @param note           why the test is weak or absent, or null
 */
public record WilcoxonResult(int pairs, int zeros, int n, double meanDifference, double wPlus, double wMinus,
                             double p, Method method, String note) {

    /** How the p-value was obtained. */
    public enum Method {
        /** commons-math3's exact null distribution (all 2^n sign patterns; assumes no tied ranks). */
        EXACT,
        /** commons-math3's normal approximation (continuity term 0.5, no tie correction of the variance). */
        NORMAL,
        /** No pair left to test. */
        NONE
    }

    /** The classic statistic W = min(W+, W−), the one tables of critical values use. */
    public double w() {
        return Math.min(wPlus, wMinus);
    }

    /** True when p &lt; alpha (never for an untested comparison). */
    public boolean significant(double alpha) {
        return p < alpha;
    }
}
