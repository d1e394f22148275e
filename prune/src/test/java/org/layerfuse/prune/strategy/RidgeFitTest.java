package org.layerfuse.prune.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RidgeFitTest {

    /**
     * The fit minimises J(w, b) = Σ (y − b − w·x)² + λ Σ (w_j·s_j)² (s_j the column's standard
     * deviation over n): at the returned w, b the gradient of J is zero, checked with this test's
     * own loops (an optimality condition, not the fit's algorithm), for more rows than features,
     * as many, and fewer (the first fusion step: 6 layers, 12 signals).
     */
    @Test
    void theFitIsTheRidgeObjectivesMinimum() {
        for (int[] np : new int[][] {{60, 12}, {12, 12}, {6, 12}, {40, 3}}) {
            int n = np[0];
            int p = np[1];
            SplittableRandom r = new SplittableRandom(n * 100L + p);
            double[][] x = new double[n][p];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < p; j++) {
                    x[i][j] = 3 * r.nextGaussian() + j;
                }
                y[i] = 0.5 * x[i][0] - 0.2 * x[i][p - 1] + 0.1 * r.nextGaussian();
            }
            double lambda = 0.7;
            RidgeFit f = RidgeFit.fit(x, y, lambda);
            double[] w = f.coefficients();
            double[] residual = new double[n];
            double gradB = 0;
            for (int i = 0; i < n; i++) {
                double pred = f.intercept();
                for (int j = 0; j < p; j++) {
                    pred += w[j] * x[i][j];
                }
                assertEquals(pred, f.predict(x[i]), 1e-12, "predict, row " + i);
                residual[i] = y[i] - pred;
                gradB += residual[i];
            }
            assertEquals(0, gradB, 1e-9, n + "×" + p + ": ∂J/∂b");
            for (int j = 0; j < p; j++) {
                double mean = 0;
                for (double[] row : x) {
                    mean += row[j] / n;
                }
                double var = 0;
                double rx = 0;
                double scaleOfTerms = 0;
                for (int i = 0; i < n; i++) {
                    var += (x[i][j] - mean) * (x[i][j] - mean) / n;
                    rx += residual[i] * x[i][j];
                    scaleOfTerms += Math.abs(residual[i] * x[i][j]);
                }
                double grad = -rx + lambda * w[j] * var;
                assertEquals(0, grad, 1e-9 * Math.max(1, scaleOfTerms), n + "×" + p + ": ∂J/∂w" + j);
            }
        }
    }

    /** One feature: the closed form w = Σ(x − x̄)·y / (Σ(x − x̄)² + λ·s²), b = ȳ − w·x̄. */
    @Test
    void oneFeatureMatchesTheClosedForm() {
        double[][] x = {{1}, {2}, {4}, {7}, {11}};
        double[] y = {0.5, 1.1, 1.9, 3.6, 5.2};
        double lambda = 2.0;
        double xm = 5;
        double ym = (0.5 + 1.1 + 1.9 + 3.6 + 5.2) / 5;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < 5; i++) {
            sxy += (x[i][0] - xm) * y[i];
            sxx += (x[i][0] - xm) * (x[i][0] - xm);
        }
        double w = sxy / (sxx + lambda * sxx / 5);
        RidgeFit f = RidgeFit.fit(x, y, lambda);
        assertEquals(w, f.coefficients()[0], 1e-14);
        assertEquals(ym - w * xm, f.intercept(), 1e-14);
    }

    @Test
    void badInputIsRefusedNamingWhatIsWrong() {
        double[][] ok = {{1, 2}, {2, 5}, {3, 1}};
        double[] y = {1, 2, 3};
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RidgeFit.fit(new double[][] {{1, 2}, {1, 5}, {1, 1}}, y, 1e-3)).getMessage()
                .contains("feature 0 is constant"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RidgeFit.fit(new double[][] {{1, 2}, {2}, {3, 1}}, y, 1e-3)).getMessage().contains("row 1"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RidgeFit.fit(new double[][] {{1, 2}, {2, Double.NaN}, {3, 1}}, y, 1e-3)).getMessage()
                .contains("feature 1 of row 1"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RidgeFit.fit(ok, new double[] {1, Double.POSITIVE_INFINITY, 3}, 1e-3)).getMessage()
                .contains("target of row 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RidgeFit.fit(ok, y, 0)).getMessage().contains("λ"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RidgeFit.fit(new double[][] {{1}}, new double[] {1}, 1e-3)).getMessage().contains("two rows"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RidgeFit.fit(ok, y, 1e-3).predict(new double[] {1}))
                .getMessage().contains("1 features given"));
    }
}
