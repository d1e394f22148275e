package org.layerfuse.engine.mi;

/**
 * A cheap baseline: each variable is reduced to one number (its first principal component,
 * see {@link PcaProjection}; a 1-D input as is), cut into {@code bins} equal-frequency bins
 * (by rank, so every bin holds n/bins samples and outliers do not matter), and the plug-in MI
 * of the contingency table, I = Σ p_ab log(p_ab / (p_a p_b)), is corrected by Miller–Madow:
 * − (m_ab − m_a − m_b + 1) / (2n) with m the occupied cells. Labels are used as they are.
 * Biases: binning can only lose information (under-estimates, most for strong dependence and
 * few bins); the plug-in bias (+ (bins − 1)²/(2n) before the correction) grows with
 * bins²/n; one direction sees only what varies most. {@code bins = 0} picks
 * max(2, ⌊∛n⌋). Cost: O(n·d) per PCA step + O(n log n) sorting.
 */
public record BinnedMutualInformation(int bins) implements MutualInformationEstimator {

    private static final Projection FIRST_COMPONENT = new PcaProjection(1);

    public BinnedMutualInformation {
        if (bins < 0 || bins == 1) {
            throw new IllegalArgumentException("BinnedMutualInformation: bins must be >= 2 (or 0 for the default), got " + bins);
        }
    }

    /** Default bin count max(2, ⌊∛n⌋). */
    public BinnedMutualInformation() {
        this(0);
    }

    @Override
    public double mutualInformation(Samples x, Samples y) {
        Samples.requireSameRows(x, y);
        int b = binCount(x.rows());
        return plugInMillerMadow(binned(x, b), b, binned(y, b), b);
    }

    @Override
    public double mutualInformation(Samples x, int[] labels) {
        Samples.requireLabels(x, labels);
        int b = binCount(x.rows());
        return plugInMillerMadow(binned(x, b), b, labels, ClassCounts.of(labels).length);
    }

    int binCount(int n) {
        return bins > 0 ? bins : Math.max(2, (int) Math.floor(Math.cbrt(n)));
    }

    /** Equal-frequency bin of each sample's first principal component (ties broken by sample index). */
    static int[] binned(Samples x, int bins) {
        Samples line = x.cols() == 1 ? x : FIRST_COMPONENT.apply(x);
        int n = line.rows();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        float[] v = line.values();
        java.util.Arrays.sort(order, (a, b) -> v[a] != v[b] ? Float.compare(v[a], v[b]) : Integer.compare(a, b));
        int[] bin = new int[n];
        for (int rank = 0; rank < n; rank++) {
            bin[order[rank]] = (int) ((long) rank * bins / n);
        }
        return bin;
    }

    static double plugInMillerMadow(int[] a, int binsA, int[] b, int binsB) {
        int n = a.length;
        long[] joint = new long[binsA * binsB];
        long[] ca = new long[binsA];
        long[] cb = new long[binsB];
        for (int i = 0; i < n; i++) {
            joint[a[i] * binsB + b[i]]++;
            ca[a[i]]++;
            cb[b[i]]++;
        }
        double mi = 0;
        int occupied = 0;
        for (int i = 0; i < binsA; i++) {
            for (int j = 0; j < binsB; j++) {
                long c = joint[i * binsB + j];
                if (c > 0) {
                    occupied++;
                    mi += (double) c / n * Math.log((double) c * n / ((double) ca[i] * cb[j]));
                }
            }
        }
        return mi - (occupied - nonZero(ca) - nonZero(cb) + 1) / (2.0 * n);
    }

    private static int nonZero(long[] counts) {
        int m = 0;
        for (long c : counts) {
            m += c > 0 ? 1 : 0;
        }
        return m;
    }
}
