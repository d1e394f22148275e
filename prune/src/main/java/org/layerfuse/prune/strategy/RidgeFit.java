package org.layerfuse.prune.strategy;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Ridge regression y ≈ b + w·x, fitted as Smile 2.6's {@code RidgeRegression} fits it (columns
 * centred and scaled by their standard deviation over n, normal equations (ZᵀZ + λI)·w' = Zᵀy
 * solved by Cholesky, w = w' / scale, b = ȳ − w·centre), the solve in pure Java (Commons Math).
 *
 * <p>Why not Smile's own: it solves through the OpenBLAS 0.3.19 that ships with ND4J, whose
 * AVX-512 (SkylakeX) kernels in that DYNAMIC_ARCH build give wrong Cholesky results
 * (OpenMathLib/OpenBLAS#2986, fixed in 0.3.21): on a 2-core Intel Xeon with AVX-512, where
 * OpenBLAS picks those kernels by itself (and where the layerfuse launcher names them), a 12 × 12
 * solve's residual was 1.9 instead of 4e-16, the linear-regression fusion chose layers from
 * garbage predictions, and Smile's F-test then failed ("Invalid x" in its incomplete beta
 * function). With {@code OPENBLAS_CORETYPE=Haswell} (correct kernels) Smile's fit and this one
 * agree: coefficients within 1e-10 relative, predictions within 1e-15 (6 to 60 rows, 5 to 12
 * features).
 */
final class RidgeFit {

    private final double[] w;
    private final double b;

    private RidgeFit(double[] w, double b) {
        this.w = w;
        this.b = b;
    }

    /**
     * Fits {@code y ≈ b + w·x} with penalty {@code lambda} on the scaled coefficients.
     *
     * @throws IllegalArgumentException for fewer than two rows, ragged rows, a constant column,
     *                                  a non-finite value or λ ≤ 0
     */
    static RidgeFit fit(double[][] x, double[] y, double lambda) {
        int n = x.length;
        if (n < 2 || y.length != n) {
            throw new IllegalArgumentException("ridge regression needs at least two rows and one target per row, got "
                    + n + " rows and " + y.length + " targets");
        }
        if (!(lambda > 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("ridge regression needs a finite λ > 0, got " + lambda);
        }
        int p = x[0].length;
        double[] centre = new double[p];
        double[] scale = new double[p];
        double yMean = 0;
        for (int i = 0; i < n; i++) {
            if (x[i].length != p) {
                throw new IllegalArgumentException("ridge regression: row " + i + " has " + x[i].length
                        + " features, row 0 has " + p);
            }
            for (int j = 0; j < p; j++) {
                if (!Double.isFinite(x[i][j])) {
                    throw new IllegalArgumentException("ridge regression: feature " + j + " of row " + i + " is " + x[i][j]);
                }
                centre[j] += x[i][j];
            }
            if (!Double.isFinite(y[i])) {
                throw new IllegalArgumentException("ridge regression: target of row " + i + " is " + y[i]);
            }
            yMean += y[i];
        }
        yMean /= n;
        for (int j = 0; j < p; j++) {
            centre[j] /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                double d = x[i][j] - centre[j];
                ss += d * d;
            }
            scale[j] = Math.sqrt(ss / n);
            if (!(scale[j] > 0)) {
                throw new IllegalArgumentException("ridge regression: feature " + j + " is constant over the rows");
            }
        }
        double[][] z = new double[n][p];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                z[i][j] = (x[i][j] - centre[j]) / scale[j];
            }
        }
        double[][] a = new double[p][p];
        double[] rhs = new double[p];
        for (int j = 0; j < p; j++) {
            for (int k = 0; k <= j; k++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += z[i][j] * z[i][k];
                }
                a[j][k] = s;
                a[k][j] = s;
            }
            a[j][j] += lambda;
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += z[i][j] * y[i];
            }
            rhs[j] = s;
        }
        RealMatrix normal = new Array2DRowRealMatrix(a, false);
        double[] scaled;
        try {
            scaled = new CholeskyDecomposition(normal).getSolver().solve(new ArrayRealVector(rhs, false)).toArray();
        } catch (NonPositiveDefiniteMatrixException e) {
            throw new IllegalStateException("ridge regression: ZᵀZ + λI is not positive definite (λ = " + lambda + ")", e);
        }
        double[] w = new double[p];
        double b = yMean;
        for (int j = 0; j < p; j++) {
            w[j] = scaled[j] / scale[j];
            b -= w[j] * centre[j];
        }
        return new RidgeFit(w, b);
    }

    /** The coefficients w, one per feature. */
    double[] coefficients() {
        return w.clone();
    }

    double intercept() {
        return b;
    }

    /** b + w·x. */
    double predict(double[] x) {
        if (x.length != w.length) {
            throw new IllegalArgumentException("ridge regression: " + x.length + " features given, the fit has "
                    + w.length);
        }
        double s = b;
        for (int j = 0; j < w.length; j++) {
            s += w[j] * x[j];
        }
        return s;
    }
}
