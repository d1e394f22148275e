package org.layerfuse.engine.mi;

import java.util.SplittableRandom;

/** Synthetic data with known mutual information for the estimator tests. */
final class MiCases {

    private MiCases() {
    }

    /** I = −½ log(1 − ρ²) for a bivariate Gaussian with correlation ρ. */
    static double gaussianMi(double rho) {
        return -0.5 * Math.log(1 - rho * rho);
    }

    /** Pairs (x_c, y_c) per column c, correlation rho[c], independent across columns; [0] = X, [1] = Y. */
    static Samples[] correlatedGaussians(int n, double[] rho, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = rho.length;
        float[] x = new float[n * d];
        float[] y = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                double a = Gaussians.next(r);
                double b = Gaussians.next(r);
                x[i * d + c] = (float) a;
                y[i * d + c] = (float) (rho[c] * a + Math.sqrt(1 - rho[c] * rho[c]) * b);
            }
        }
        return new Samples[] {new Samples(x, n, d), new Samples(y, n, d)};
    }

    /** Mixture sample: labels[i] uniform over the classes, x_i ~ N(means[label], I). */
    record Mixture(Samples x, int[] labels) {
    }

    static Mixture gaussianMixture(int n, double[][] means, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = means[0].length;
        float[] x = new float[n * d];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(means.length);
            labels[i] = c;
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) (means[c][j] + Gaussians.next(r));
            }
        }
        return new Mixture(new Samples(x, n, d), labels);
    }

    /**
     * I(X; y) for the two-class 1-D mixture ½N(−μ, 1) + ½N(μ, 1): H(X) − ½ log(2πe), with H(X)
     * integrated by Simpson's rule on [−μ − 12, μ + 12] (20 000 intervals).
     */
    static double twoClassMixtureMi(double mu) {
        double lo = -mu - 12;
        double hi = mu + 12;
        int m = 20_000;
        double h = (hi - lo) / m;
        double integral = 0;
        for (int i = 0; i <= m; i++) {
            double x = lo + i * h;
            double f = 0.5 * (phi(x - mu) + phi(x + mu));
            double g = f > 0 ? -f * Math.log(f) : 0;
            integral += g * (i == 0 || i == m ? 1 : i % 2 == 1 ? 4 : 2);
        }
        double entropy = integral * h / 3;
        return entropy - 0.5 * Math.log(2 * Math.PI * Math.E);
    }

    /**
     * I(X; y) = E[log p(x | y) / p(x)] for an equal-weight mixture of N(means[c], I), by Monte
     * Carlo over {@code draws} fresh samples (standard error ≈ 1e-3 at 10⁶ draws).
     */
    static double mixtureMiMonteCarlo(double[][] means, int draws, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = means[0].length;
        double[] x = new double[d];
        double sum = 0;
        for (int i = 0; i < draws; i++) {
            int c = r.nextInt(means.length);
            for (int j = 0; j < d; j++) {
                x[j] = means[c][j] + Gaussians.next(r);
            }
            double own = 0;
            double mix = 0;
            for (int k = 0; k < means.length; k++) {
                double q = 0;
                for (int j = 0; j < d; j++) {
                    q += (x[j] - means[k][j]) * (x[j] - means[k][j]);
                }
                double density = Math.exp(-0.5 * q);
                mix += density / means.length;
                if (k == c) {
                    own = density;
                }
            }
            sum += Math.log(own / mix);
        }
        return sum / draws;
    }

    static double phi(double x) {
        return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /** Labels drawn independently of anything. */
    static int[] randomLabels(int n, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(classes);
        }
        return labels;
    }
}
