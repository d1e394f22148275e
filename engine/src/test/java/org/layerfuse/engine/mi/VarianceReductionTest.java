package org.layerfuse.engine.mi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VarianceReduction} (the paper's Var(A) − Var(A | ·)) against its closed forms at
 * n = 4000: ρ² for unit-variance scalars, μ² (the between-class variance) for classes ±μ.
 * Sampling error ≈ 2ρ/√n plus the sample variance's own 1/√n: tolerance 0.05.
 */
class VarianceReductionTest {

    private final VarianceReduction plain = new VarianceReduction(Projection.identity(), 1e-6);

    @ParameterizedTest(name = "rho={0}")
    @ValueSource(doubles = {0, 0.5, 0.9})
    void explainedVarianceIsRhoSquared(double rho) {
        Samples[] xy = MiCases.correlatedGaussians(4000, new double[] {rho}, 41);
        assertEquals(rho * rho, plain.mutualInformation(xy[0], xy[1]), 0.05);
    }

    @Test
    void betweenClassVarianceOfAMixture() {
        MiCases.Mixture m = MiCases.gaussianMixture(4000, new double[][] {{-1}, {1}}, 42);
        assertEquals(1.0, plain.mutualInformation(m.x(), m.labels()), 0.05);
        // three independent pairs: tr of the explained part = 0.81 + 0.25 + 0
        Samples[] xy = MiCases.correlatedGaussians(4000, new double[] {0.9, 0.5, 0}, 43);
        assertEquals(1.06, plain.mutualInformation(xy[0], xy[1]), 0.08);
    }
}
