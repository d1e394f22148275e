package org.layerfuse.engine.kernels;

/**
 * Plain scalar loops for every kernel in {@link VectorKernels}, {@link BufferKernels} and
 * {@link RowEntropy}: the references the tests compare against and the baselines of the
 * benchmarks. Everything is computed in double, one element at a time, in index order, with
 * {@link Math#log}; the same NaN policy (NaN rejected with the kernel name and index,
 * checked element by element) and the same argument rules as the vector kernels.
 */
public final class ScalarKernels {

    private ScalarKernels() {
    }

    public static double sum(float[] a, int from, int length) {
        return sum("sum", a, from, length);
    }

    private static double sum(String kernel, float[] a, int from, int length) {
        KernelInputs.checkRange(kernel, a.length, from, length);
        double s = 0;
        for (int i = from; i < from + length; i++) {
            s += notNaN(kernel, a, i);
        }
        return s;
    }

    public static double sumAbs(float[] a, int from, int length) {
        return sumAbs("sumAbs", a, from, length);
    }

    private static double sumAbs(String kernel, float[] a, int from, int length) {
        KernelInputs.checkRange(kernel, a.length, from, length);
        double s = 0;
        for (int i = from; i < from + length; i++) {
            s += Math.abs(notNaN(kernel, a, i));
        }
        return s;
    }

    public static double sumSquares(float[] a, int from, int length) {
        return sumSquares("sumSquares", a, from, length);
    }

    private static double sumSquares(String kernel, float[] a, int from, int length) {
        KernelInputs.checkRange(kernel, a.length, from, length);
        double s = 0;
        for (int i = from; i < from + length; i++) {
            double x = notNaN(kernel, a, i);
            s += x * x;
        }
        return s;
    }

    public static double dot(float[] a, int aFrom, float[] b, int bFrom, int length) {
        KernelInputs.checkRange("dot", a.length, aFrom, length);
        KernelInputs.checkRange("dot", b.length, bFrom, length);
        double s = 0;
        for (int i = 0; i < length; i++) {
            s += (double) notNaN("dot (first input)", a, aFrom + i) * notNaN("dot (second input)", b, bFrom + i);
        }
        return s;
    }

    public static long countZeros(float[] a, int from, int length) {
        KernelInputs.checkRange("countZeros", a.length, from, length);
        long n = 0;
        for (int i = from; i < from + length; i++) {
            if (notNaN("countZeros", a, i) == 0f) {
                n++;
            }
        }
        return n;
    }

    public static double mean(float[] a, int from, int length) {
        VectorKernels.requireNonEmpty("mean", length);
        return sum("mean", a, from, length) / length;
    }

    public static double meanAbs(float[] a, int from, int length) {
        VectorKernels.requireNonEmpty("meanAbs", length);
        return sumAbs("meanAbs", a, from, length) / length;
    }

    public static double meanSquare(float[] a, int from, int length) {
        VectorKernels.requireNonEmpty("meanSquare", length);
        return sumSquares("meanSquare", a, from, length) / length;
    }

    public static double l2Norm(float[] a, int from, int length) {
        return Math.sqrt(sumSquares("l2Norm", a, from, length));
    }

    /** −Σ p log(p + ε), p = |w| / ‖w‖₁, in double; 0 for an all-zero or empty input. */
    public static double l1Entropy(float[] a, int from, int length, float eps) {
        KernelInputs.checkEps("l1Entropy", eps);
        double l1 = sumAbs("l1Entropy", a, from, length);
        if (l1 == 0) {
            return 0;
        }
        double h = 0;
        for (int i = from; i < from + length; i++) {
            double p = Math.abs(a[i]) / l1;
            h -= p * Math.log(p + eps);
        }
        return h;
    }

    /** Row entropies H_r = −Σ_j m_j p_rj log(p_rj + ε), in double; arguments as in {@link RowEntropy}. */
    public static void rowEntropies(float[] p, int from, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                    float eps, double[] out) {
        RowEntropy.checkShape("RowEntropy.entropies", p.length, from, rows, rowLength, columnMask, rowsPerMaskRow, eps);
        for (int r = 0; r < rows; r++) {
            out[r] = rowEntropy(p, from, r, rowLength, columnMask, rowsPerMaskRow, eps);
        }
    }

    /**
     * Σ_r w_r H_r / Σ_r w_r, in double; arguments as in {@link RowEntropy#maskedMean}. Rows of
     * weight 0 are not read (so a NaN there is not seen).
     */
    public static double maskedMeanRowEntropy(float[] p, int from, int rows, int rowLength, float[] columnMask,
                                              int rowsPerMaskRow, float[] rowMask, float eps) {
        RowEntropy.checkShape("RowEntropy.maskedMean", p.length, from, rows, rowLength, columnMask, rowsPerMaskRow, eps);
        RowEntropy.checkRowMask(rowMask, rows);
        double weighted = 0;
        double weights = 0;
        for (int r = 0; r < rows; r++) {
            double w = rowMask == null ? 1 : notNaN("RowEntropy (row mask)", rowMask, r);
            if (w != 0) {
                weighted += w * rowEntropy(p, from, r, rowLength, columnMask, rowsPerMaskRow, eps);
                weights += w;
            }
        }
        if (!(weights > 0)) {
            throw new IllegalArgumentException("RowEntropy.maskedMean: no row has a positive weight (rows or row mask empty)");
        }
        return weighted / weights;
    }

    private static double rowEntropy(float[] p, int from, int r, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                     float eps) {
        double h = 0;
        for (int j = 0; j < rowLength; j++) {
            double x = notNaN("RowEntropy (probabilities)", p, from + r * rowLength + j);
            double m = columnMask == null ? 1
                    : notNaN("RowEntropy (column mask)", columnMask, (r / rowsPerMaskRow) * rowLength + j);
            h -= m * x * Math.log(x + eps);
        }
        return h;
    }

    private static float notNaN(String kernel, float[] a, int i) {
        float x = a[i];
        if (x != x) {
            throw KernelInputs.nanAt(kernel, i);
        }
        return x;
    }
}
