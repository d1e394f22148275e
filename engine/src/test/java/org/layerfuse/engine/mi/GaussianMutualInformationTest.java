package org.layerfuse.engine.mi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link GaussianMutualInformation} against closed forms. Sampling error of a Gaussian MI
 * estimate is ≈ ρ/√n (0.014 at n = 4000, ρ = 0.9), and the finite-sample bias for independent
 * k_x-, k_y-dimensional variables ≈ k_x·k_y/(2n): tolerances are about 3–4 standard errors.
 */
class GaussianMutualInformationTest {

    private final GaussianMutualInformation plain = new GaussianMutualInformation(Projection.identity(), 1e-6);

    @ParameterizedTest(name = "rho={0}")
    @ValueSource(doubles = {0, 0.5, 0.9})
    void correlatedGaussiansGiveMinusHalfLogOneMinusRhoSquared(double rho) {
        Samples[] xy = MiCases.correlatedGaussians(4000, new double[] {rho}, 11);
        assertEquals(MiCases.gaussianMi(rho), plain.mutualInformation(xy[0], xy[1]), 0.05, "n = 4000");
    }

    @Test
    void independentPairsAddUp() {
        Samples[] xy = MiCases.correlatedGaussians(4000, new double[] {0.9, 0.5, 0}, 12);
        double truth = MiCases.gaussianMi(0.9) + MiCases.gaussianMi(0.5);
        assertEquals(truth, plain.mutualInformation(xy[0], xy[1]), 0.05, "3 + 3 dimensions, n = 4000");
    }

    /**
     * Y = X + N(0, σ²I) in d = 384, projected by the same random R to k = 16: PX ~ N(0, RRᵀ),
     * PY = PX + noise ~ N(0, σ²RRᵀ), so I(PX; PY) = (k/2) log(1 + 1/σ²) whatever R is
     * (5.545 nats for σ = 1); independent X, Y give ≈ k²/(2n) = 0.064 of bias at n = 2000.
     */
    @Test
    void highDimensionalNoisyCopyThroughRandomProjection() {
        Samples[] xy = noisyCopy(2000, 384, 1.0, 3);
        GaussianMutualInformation projected = new GaussianMutualInformation();
        assertEquals(8 * Math.log(2), projected.mutualInformation(xy[0], xy[1]), 0.25);
        Samples other = noisyCopy(2000, 384, 1.0, 4)[0];
        double independent = projected.mutualInformation(xy[0], other);
        assertTrue(independent >= 0 && independent < 0.15, "independent 384-d variables: " + independent);
    }

    /**
     * Two classes ±μ (μ = 1) in 1-D: under its Gaussian model the estimator's target is
     * ½ log(1 + μ²) (total variance 1 + μ², class variance 1), which over-estimates the true
     * MI (numerically integrated, 0.3368) as documented.
     */
    @Test
    void labelsOfAGaussianMixture() {
        MiCases.Mixture m = MiCases.gaussianMixture(4000, new double[][] {{-1}, {1}}, 5);
        double estimate = plain.mutualInformation(m.x(), m.labels());
        assertEquals(0.5 * Math.log(2), estimate, 0.03);
        assertTrue(estimate > MiCases.twoClassMixtureMi(1) - 0.03, "over-estimates the true MI: " + estimate);
        double independent = plain.mutualInformation(m.x(), MiCases.randomLabels(4000, 2, 6));
        assertTrue(independent >= 0 && independent < 0.01, "independent labels: " + independent);
    }

    @Test
    void badInputsAreNamed() {
        Samples x = MiCases.correlatedGaussians(10, new double[] {0.5}, 1)[0];
        Samples y = MiCases.correlatedGaussians(11, new double[] {0.5}, 1)[1];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plain.mutualInformation(x, y));
        assertTrue(e.getMessage().contains("x has 10 rows, y has 11"), e.getMessage());
        int[] labels = new int[10];
        labels[3] = 1;
        e = assertThrows(IllegalArgumentException.class, () -> plain.mutualInformation(x, labels));
        assertTrue(e.getMessage().contains("class 1 has 1 sample"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> plain.mutualInformation(x, new int[9]));
        assertTrue(e.getMessage().contains("10 samples, 9 labels"), e.getMessage());
    }

    static Samples[] noisyCopy(int n, int d, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * d];
        float[] y = new float[n * d];
        for (int i = 0; i < n * d; i++) {
            double a = Gaussians.next(r);
            x[i] = (float) a;
            y[i] = (float) (a + sigma * Gaussians.next(r));
        }
        return new Samples[] {new Samples(x, n, d), new Samples(y, n, d)};
    }
}
