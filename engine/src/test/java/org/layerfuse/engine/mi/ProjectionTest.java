package org.layerfuse.engine.mi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;

/** {@link PcaProjection} against a full commons-math eigen-decomposition; {@link RandomProjection}'s determinism. */
class ProjectionTest {

    /** Correlated data in d = 12 (a random mixing of decaying scales): top-4 PCA variances are the top-4 eigenvalues. */
    @Test
    void pcaVariancesAreTheLargestEigenvaluesAndComponentsAreUncorrelated() {
        int n = 3000;
        int d = 12;
        SplittableRandom r = new SplittableRandom(51);
        double[][] mixing = new double[d][d];
        for (double[] row : mixing) {
            for (int j = 0; j < d; j++) {
                row[j] = Gaussians.next(r);
            }
        }
        float[] v = new float[n * d];
        for (int i = 0; i < n; i++) {
            double[] z = new double[d];
            for (int j = 0; j < d; j++) {
                z[j] = Gaussians.next(r) * Math.pow(0.7, j);
            }
            for (int a = 0; a < d; a++) {
                double s = 3; // an offset: PCA must centre
                for (int j = 0; j < d; j++) {
                    s += mixing[a][j] * z[j];
                }
                v[i * d + a] = (float) s;
            }
        }
        Samples x = new Samples(v, n, d);
        double[] eigen = new EigenDecomposition(new Array2DRowRealMatrix(Covariance.of(x), false)).getRealEigenvalues();
        Arrays.sort(eigen);
        Samples p = new PcaProjection(4).apply(x);
        double[][] c = Covariance.of(p);
        for (int a = 0; a < 4; a++) {
            double want = eigen[d - 1 - a];
            assertEquals(want, c[a][a], 1e-4 * want, "variance of component " + a);
            for (int b = 0; b < a; b++) {
                assertEquals(0, c[a][b], 1e-4 * eigen[d - 1], "covariance of components " + a + ", " + b);
            }
        }
    }

    @Test
    void randomProjectionIsDeterministicPerWidthAndKeepsNarrowInputs() {
        Samples[] xy = MiCases.correlatedGaussians(50, new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 52);
        RandomProjection projection = new RandomProjection(3, 7);
        assertArrayEquals(projection.apply(xy[0]).values(), new RandomProjection(3, 7).apply(xy[0]).values());
        assertEquals(3, projection.apply(xy[0]).cols());
        assertSame(xy[0], new RandomProjection(6, 7).apply(xy[0]));
        // E‖Rx‖² = ‖x‖² for R_ij ~ N(0, 1/k): average over 64 inputs within 10%
        float[] wide = new float[64 * 500];
        SplittableRandom r = new SplittableRandom(53);
        for (int i = 0; i < wide.length; i++) {
            wide[i] = (float) Gaussians.next(r);
        }
        Samples big = new Samples(wide, 64, 500);
        Samples small = new RandomProjection(200, 9).apply(big);
        double in = 0;
        double out = 0;
        for (float f : big.values()) {
            in += f * f;
        }
        for (float f : small.values()) {
            out += f * f;
        }
        assertEquals(1.0, out / in, 0.1);
    }
}
