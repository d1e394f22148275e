package org.layerfuse.engine.mi;

import java.util.SplittableRandom;
import org.layerfuse.engine.fused.ParallelRows;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * x ↦ Vᵀ(x − x̄) with V the top-k principal directions of the samples (k ≤ d), found by
 * subspace iteration (block power method: Q ← orth(Xᵀ X Q), O(n·d·k) per step, until the
 * Ritz values move by less than {@code tolerance}·λ₁ or after {@code maxIterations}), then a
 * k × k Rayleigh–Ritz eigen-decomposition to order them. This avoids the d × d eigen-solve
 * (≈ 9 s for d = 768 with commons-math). Convergence needs a gap after the k-th eigenvalue:
 * real activations converge in a few dozen steps; on isotropic data (no gap) it runs all
 * {@code maxIterations} (≈ 6 s for n = 2000, d = 384, k = 16), and any k directions of the flat
 * spectrum are as good. Components are sorted by variance, each signed so that its largest
 * coefficient is positive. Unlike {@link RandomProjection}, V depends on
 * the data, so two layers are projected onto their own principal axes.
 */
public record PcaProjection(int k, int maxIterations, double tolerance) implements Projection {

    public PcaProjection {
        if (k <= 0 || maxIterations <= 0 || !(tolerance > 0)) {
            throw new IllegalArgumentException("PcaProjection: k (" + k + ") and maxIterations (" + maxIterations
                    + ") must be > 0 and tolerance (" + tolerance + ") > 0");
        }
    }

    /** Top k components, at most 100 iterations, Ritz values to 1e-6·λ₁. */
    public PcaProjection(int k) {
        this(k, 100, 1e-6);
    }

    /** Work per parallel block: at least this many rows (scores) or columns (the power step). */
    private static final int MIN_ROWS = 64;
    private static final int MIN_COLUMNS = 64;

    @Override
    public Samples apply(Samples x) {
        int n = x.rows();
        int d = x.cols();
        int kk = Math.min(k, d);
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += x.get(i, j);
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= Math.max(1, n);
        }
        double[][] q = new double[kk][d];
        SplittableRandom random = new SplittableRandom(1);
        for (double[] row : q) {
            for (int j = 0; j < d; j++) {
                row[j] = Gaussians.next(random);
            }
        }
        orthonormalize(q);
        double[] ritz = new double[kk];
        double[][] w = new double[n][kk];
        for (int it = 0; it < maxIterations; it++) {
            scores(x, mean, q, w);
            double[][] z = new double[kk][d];
            double[][] wq = w;
            // columns split over the cores; each column sums its rows in order, as one thread would
            ParallelRows.run(d, MIN_COLUMNS, (j0, j1) -> {
                for (int i = 0; i < n; i++) {
                    int row = i * d;
                    for (int c = 0; c < kk; c++) {
                        double wc = wq[i][c] / n;
                        double[] zc = z[c];
                        for (int j = j0; j < j1; j++) {
                            zc[j] += wc * (x.values()[row + j] - mean[j]);
                        }
                    }
                }
            });
            double change = 0;
            for (int c = 0; c < kk; c++) {
                double r = dot(q[c], z[c]);
                change = Math.max(change, Math.abs(r - ritz[c]));
                ritz[c] = r;
            }
            q = z;
            orthonormalize(q);
            if (change <= tolerance * Math.abs(ritz[0])) {
                break;
            }
        }
        // Rayleigh–Ritz: S = (XQ)ᵀ(XQ)/n, eigenvectors of S rotate Q onto ordered principal axes.
        scores(x, mean, q, w);
        double[][] s = new double[kk][kk];
        for (double[] wi : w) {
            for (int a = 0; a < kk; a++) {
                for (int b = 0; b < kk; b++) {
                    s[a][b] += wi[a] * wi[b] / n;
                }
            }
        }
        EigenDecomposition eigen = new EigenDecomposition(new Array2DRowRealMatrix(s, false));
        Integer[] order = new Integer[kk];
        for (int c = 0; c < kk; c++) {
            order[c] = c;
        }
        double[] values = eigen.getRealEigenvalues();
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
        double[][] v = new double[kk][d];
        for (int c = 0; c < kk; c++) {
            double[] e = eigen.getEigenvector(order[c]).toArray();
            for (int a = 0; a < kk; a++) {
                for (int j = 0; j < d; j++) {
                    v[c][j] += e[a] * q[a][j];
                }
            }
            int largest = 0;
            for (int j = 1; j < d; j++) {
                if (Math.abs(v[c][j]) > Math.abs(v[c][largest])) {
                    largest = j;
                }
            }
            if (v[c][largest] < 0) {
                for (int j = 0; j < d; j++) {
                    v[c][j] = -v[c][j];
                }
            }
        }
        scores(x, mean, v, w);
        float[] out = new float[n * kk];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < kk; c++) {
                out[i * kk + c] = (float) w[i][c];
            }
        }
        return new Samples(out, n, kk);
    }

    /** w[i][c] = (x_i − x̄)·q_c. */
    private static void scores(Samples x, double[] mean, double[][] q, double[][] w) {
        int d = x.cols();
        double[] shift = new double[q.length];
        for (int c = 0; c < q.length; c++) {
            shift[c] = dot(mean, q[c]);
        }
        // rows split over the cores: every score is its own dot product
        ParallelRows.run(x.rows(), MIN_ROWS, (from, to) -> {
            for (int c = 0; c < q.length; c++) {
                for (int i = from; i < to; i++) {
                    double s = 0;
                    int row = i * d;
                    for (int j = 0; j < d; j++) {
                        s += x.values()[row + j] * q[c][j];
                    }
                    w[i][c] = s - shift[c];
                }
            }
        });
    }

    /** Modified Gram–Schmidt on the rows. */
    private static void orthonormalize(double[][] q) {
        for (int c = 0; c < q.length; c++) {
            for (int p = 0; p < c; p++) {
                double r = dot(q[p], q[c]);
                for (int j = 0; j < q[c].length; j++) {
                    q[c][j] -= r * q[p][j];
                }
            }
            double norm = Math.sqrt(dot(q[c], q[c]));
            if (norm == 0) {
                throw new IllegalArgumentException("PcaProjection: the samples span fewer than " + q.length
                        + " directions (constant data?); lower k");
            }
            for (int j = 0; j < q[c].length; j++) {
                q[c][j] /= norm;
            }
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += a[j] * b[j];
        }
        return s;
    }
}
