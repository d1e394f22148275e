package org.layerfuse.engine.mi;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;

/** Covariance matrices (maximum likelihood: divided by the count) and their log-determinants, in double. */
final class Covariance {

    private Covariance() {
    }

    /** Covariance of the columns of {@code x} over the rows where {@code labels[i] == label} (all rows if labels is null). */
    static double[][] of(Samples x, int[] labels, int label) {
        int d = x.cols();
        double[] mean = new double[d];
        long count = 0;
        for (int i = 0; i < x.rows(); i++) {
            if (labels == null || labels[i] == label) {
                for (int j = 0; j < d; j++) {
                    mean[j] += x.get(i, j);
                }
                count++;
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("covariance of no samples");
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= count;
        }
        double[][] c = new double[d][d];
        double[] centred = new double[d];
        for (int i = 0; i < x.rows(); i++) {
            if (labels == null || labels[i] == label) {
                for (int j = 0; j < d; j++) {
                    centred[j] = x.get(i, j) - mean[j];
                }
                for (int a = 0; a < d; a++) {
                    double ca = centred[a];
                    double[] row = c[a];
                    for (int b = a; b < d; b++) {
                        row[b] += ca * centred[b];
                    }
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                c[a][b] /= count;
                c[b][a] = c[a][b];
            }
        }
        return c;
    }

    static double[][] of(Samples x) {
        return of(x, null, 0);
    }

    static double trace(double[][] c) {
        double t = 0;
        for (int i = 0; i < c.length; i++) {
            t += c[i][i];
        }
        return t;
    }

    /** The block {@code [from, to) × [from, to)}. */
    static double[][] block(double[][] c, int from, int to) {
        double[][] b = new double[to - from][to - from];
        for (int i = from; i < to; i++) {
            System.arraycopy(c[i], from, b[i - from], 0, to - from);
        }
        return b;
    }

    /** log det(C + λI) by Cholesky: 2 Σ log L_ii. */
    static double logDet(double[][] c, double lambda) {
        double[][] m = new double[c.length][];
        for (int i = 0; i < c.length; i++) {
            m[i] = c[i].clone();
            m[i][i] += lambda;
        }
        try {
            CholeskyDecomposition chol = new CholeskyDecomposition(new Array2DRowRealMatrix(m, false), 1e-12, 0);
            double logDet = 0;
            double[][] l = chol.getL().getData();
            for (int i = 0; i < l.length; i++) {
                logDet += 2 * Math.log(l[i][i]);
            }
            return logDet;
        } catch (NonPositiveDefiniteMatrixException e) {
            throw new IllegalArgumentException("covariance is singular even with ridge " + lambda
                    + " (constant or duplicated features?); raise the ridge", e);
        }
    }
}
