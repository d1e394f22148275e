package org.layerfuse.engine.mi;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.commons.math3.special.Gamma;

/**
 * k-nearest-neighbour MI estimators, in the max-norm, on projected and standardised data
 * (each column scaled to unit variance, plus N(0, 10⁻¹⁰) jitter from {@code seed} so that
 * duplicated samples do not tie at distance 0):
 * <ul>
 *   <li>continuous (Kraskov, Stögbauer, Grassberger 2004, algorithm 1):
 *       I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩, where ε_i is the distance from sample i
 *       to its k-th neighbour in the joint space (max of the two max-norm distances) and
 *       n_x, n_y count the other samples strictly closer than ε_i in X alone and in Y alone;</li>
 *   <li>vs labels (Ross 2014, PLoS ONE 9:e87357): I = ψ(N) − ⟨ψ(N_c)⟩ + ⟨ψ(k_i)⟩ − ⟨ψ(m_i)⟩,
 *       where d_i is the distance to the k-th nearest sample of the same class (k_i = min(k, N_c − 1)),
 *       N_c that class's size and m_i the number of samples of any class within d_i
 *       (inclusive, i excluded); samples of singleton classes are left out.</li>
 * </ul>
 * Non-parametric and consistent, low bias at small MI; it under-estimates large MI in more
 * than a few dimensions (errors grow with k_x + k_y, so keep the projection small: 4–8), and
 * may return slightly negative values for independent variables (not clamped). Variance
 * ~ 1/√N. Cost: brute-force O(N² · (k_x + k_y)) time, O(N) memory per thread, parallel over
 * samples (the sum is taken in sample order, so results do not depend on thread timing).
 */
public record KnnMutualInformation(int k, Projection projection, long seed) implements MutualInformationEstimator {

    /** Samples per parallel task. */
    private static final int BLOCK = 64;

    public KnnMutualInformation {
        Objects.requireNonNull(projection, "projection");
        if (k <= 0) {
            throw new IllegalArgumentException("KnnMutualInformation: k must be > 0, got " + k);
        }
    }

    /** k = 3, random projection to 4 dimensions (seed 42), jitter seed 42. */
    public KnnMutualInformation() {
        this(3, new RandomProjection(4, 42), 42);
    }

    @Override
    public double mutualInformation(Samples x, Samples y) {
        Samples.requireSameRows(x, y);
        int n = x.rows();
        if (n <= k) {
            throw new IllegalArgumentException("KnnMutualInformation: needs more than k = " + k + " samples, got " + n);
        }
        Samples px = projection.apply(x);
        Samples py = projection.apply(y);
        double[] a = standardised(px, seed);
        double[] b = standardised(py, seed + 1);
        int dx = px.cols();
        int dy = py.cols();
        double[] terms = new double[n];
        IntStream.range(0, blocks(n)).parallel().forEach(block -> {
            double[] distX = new double[n];
            double[] distY = new double[n];
            double[] nearest = new double[k];
            for (int i = block * BLOCK; i < Math.min(n, (block + 1) * BLOCK); i++) {
                java.util.Arrays.fill(nearest, Double.POSITIVE_INFINITY);
                for (int j = 0; j < n; j++) {
                    distX[j] = maxNorm(a, i, j, dx);
                    distY[j] = maxNorm(b, i, j, dy);
                    if (j != i) {
                        insert(nearest, Math.max(distX[j], distY[j]));
                    }
                }
                double eps = nearest[k - 1];
                int nx = 0;
                int ny = 0;
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        nx += distX[j] < eps ? 1 : 0;
                        ny += distY[j] < eps ? 1 : 0;
                    }
                }
                terms[i] = Gamma.digamma(nx + 1) + Gamma.digamma(ny + 1);
            }
        });
        return Gamma.digamma(k) + Gamma.digamma(n) - sum(terms) / n;
    }

    @Override
    public double mutualInformation(Samples x, int[] labels) {
        Samples.requireLabels(x, labels);
        int[] counts = ClassCounts.of(labels);
        int kept = 0;
        for (int label : labels) {
            kept += counts[label] > 1 ? 1 : 0;
        }
        if (kept == 0) {
            throw new IllegalArgumentException("KnnMutualInformation: every class has a single sample");
        }
        Samples px = projection.apply(x);
        double[] a = standardised(px, seed);
        int d = px.cols();
        int n = x.rows();
        double[] terms = new double[n];
        IntStream.range(0, blocks(n)).parallel().forEach(block -> {
            double[] dist = new double[n];
            double[] nearest = new double[k];
            for (int i = block * BLOCK; i < Math.min(n, (block + 1) * BLOCK); i++) {
                int nc = counts[labels[i]];
                if (nc < 2) {
                    continue;
                }
                int ki = Math.min(k, nc - 1);
                java.util.Arrays.fill(nearest, Double.POSITIVE_INFINITY);
                for (int j = 0; j < n; j++) {
                    dist[j] = maxNorm(a, i, j, d);
                    if (j != i && labels[j] == labels[i]) {
                        insert(nearest, dist[j]);
                    }
                }
                double radius = nearest[ki - 1];
                int m = 0;
                for (int j = 0; j < n; j++) {
                    if (j != i && counts[labels[j]] > 1 && dist[j] <= radius) {
                        m++;
                    }
                }
                terms[i] = Gamma.digamma(nc) - Gamma.digamma(ki) + Gamma.digamma(m);
            }
        });
        return Gamma.digamma(kept) - sum(terms) / kept;
    }

    private static int blocks(int n) {
        return (n + BLOCK - 1) / BLOCK;
    }

    private static double maxNorm(double[] v, int i, int j, int d) {
        double m = 0;
        for (int c = 0; c < d; c++) {
            m = Math.max(m, Math.abs(v[i * d + c] - v[j * d + c]));
        }
        return m;
    }

    /** Keeps the {@code nearest.length} smallest values seen, sorted ascending. */
    private static void insert(double[] nearest, double value) {
        int last = nearest.length - 1;
        if (value >= nearest[last]) {
            return;
        }
        int p = last;
        while (p > 0 && nearest[p - 1] > value) {
            nearest[p] = nearest[p - 1];
            p--;
        }
        nearest[p] = value;
    }

    private static double sum(double[] terms) {
        double s = 0;
        for (double t : terms) {
            s += t;
        }
        return s;
    }

    /** Columns scaled to unit standard deviation (constant columns left as they are), plus 1e-10 Gaussian jitter. */
    static double[] standardised(Samples x, long seed) {
        int n = x.rows();
        int d = x.cols();
        double[] out = new double[n * d];
        SplittableRandom random = new SplittableRandom(seed);
        for (int c = 0; c < d; c++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += x.get(i, c);
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                double t = x.get(i, c) - mean;
                var += t * t;
            }
            double sd = Math.sqrt(var / n);
            double scale = sd > 0 ? 1 / sd : 1;
            for (int i = 0; i < n; i++) {
                out[i * d + c] = (x.get(i, c) - mean) * scale + 1e-10 * Gaussians.next(random);
            }
        }
        return out;
    }
}
