package org.layerfuse.engine;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whether the native LAPACK that ND4J loaded factorises right. The OpenBLAS 0.3.19 that ships
 * with ND4J 1.0.0-M2.1 (a DYNAMIC_ARCH build) gives wrong double-precision Cholesky factors with
 * its AVX-512 (SkylakeX) kernels (OpenMathLib/OpenBLAS#2986, fixed in 0.3.21): on a 2-core Intel
 * Xeon with AVX-512, where OpenBLAS picks those kernels by itself, a 64 × 64 factor's L·Lᵀ was off
 * by 0.0038 of the matrix's largest entry (4e-16 with {@code OPENBLAS_CORETYPE=Haswell}).
 * LayerFuse calls no LAPACK routine (its linear-regression fusion solves in Java);
 * {@link Backend#init} runs this check once and warns, for code of one's own that calls ND4J's
 * or Smile's linear algebra in the same JVM.
 */
public final class LapackCheck {

    /** The order of the checked matrix: the 12 × 12 factor was right on that Xeon, 64 × 64 not. */
    static final int N = 64;
    /** Largest |L·Lᵀ − A| accepted, relative to max |A| (a right factor: ≈ 5e-16). */
    static final double TOLERANCE = 1e-9;

    private LapackCheck() {
    }

    /** A fixed symmetric positive definite {@value #N} × {@value #N} matrix (diagonally dominant). */
    static double[][] matrix() {
        SplittableRandom r = new SplittableRandom(11);
        double[][] m = new double[N][N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                m[i][j] = 0.1 * r.nextGaussian();
            }
            m[i][i] += N;
        }
        double[][] a = new double[N][N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                a[i][j] = m[i][j] + m[j][i];
            }
        }
        return a;
    }

    /** ND4J's lower Cholesky factor of {@link #matrix()} (its LAPACK's {@code dpotrf}), upper part zeroed. */
    static double[][] nd4jFactor() {
        try (INDArray l = Nd4j.create(matrix()).castTo(DataType.DOUBLE).dup('f')) {
            Nd4j.getBlasWrapper().lapack().potrf(l, true);
            double[] columns = l.data().asDouble(); // 'f' order: (i, j) at j·N + i; one bulk copy
            double[][] out = new double[N][N];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j <= i; j++) {
                    out[i][j] = columns[j * N + i];
                }
            }
            return out;
        }
    }

    /**
     * max |L·Lᵀ − A| / max |A| for ND4J's factor L of the fixed matrix A, the product and the
     * comparison in Java (so the BLAS under test does not check itself).
     */
    public static double choleskyError() {
        double[][] a = matrix();
        double[][] l = nd4jFactor();
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k <= Math.min(i, j); k++) {
                    s += l[i][k] * l[j][k];
                }
                worst = Math.max(worst, Math.abs(s - a[i][j]));
                scale = Math.max(scale, Math.abs(a[i][j]));
            }
        }
        return worst / scale;
    }

    /** Whether ND4J's LAPACK factorised the fixed matrix wrongly (error over {@value #TOLERANCE}, or not finite). */
    public static boolean wrong() {
        return wrong(choleskyError());
    }

    /** Whether a {@link #choleskyError()} says the factor is wrong (over {@value #TOLERANCE}, or not finite). */
    public static boolean wrong(double choleskyError) {
        return !(choleskyError <= TOLERANCE);
    }
}
