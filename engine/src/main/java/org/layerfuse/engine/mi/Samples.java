package org.layerfuse.engine.mi;

import java.util.Objects;
import org.layerfuse.engine.kernels.NdBuffers;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * n samples of a d-dimensional continuous variable, row-major: {@code values[i·cols + j]} is
 * feature j of sample i (e.g. one activation vector per example: n × hidden size).
 */
public record Samples(float[] values, int rows, int cols) {

    public Samples {
        Objects.requireNonNull(values, "values");
        if (rows < 0 || cols <= 0 || (long) rows * cols != values.length) {
            throw new IllegalArgumentException("Samples: " + values.length + " values are not " + rows + " rows × " + cols
                    + " columns (cols must be > 0)");
        }
    }

    /** From {@code double[n][d]} (tests, small data). */
    public static Samples of(double[][] rows) {
        int d = rows.length == 0 ? 1 : rows[0].length;
        float[] v = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) {
                throw new IllegalArgumentException("Samples.of: row " + i + " has " + rows[i].length + " values, row 0 has " + d);
            }
            for (int j = 0; j < d; j++) {
                v[i * d + j] = (float) rows[i][j];
            }
        }
        return new Samples(v, rows.length, d);
    }

    /** One column: n samples of a scalar. */
    public static Samples ofColumn(double[] column) {
        float[] v = new float[column.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) column[i];
        }
        return new Samples(v, v.length, 1);
    }

    /** A copy of a 2-D ND4J array [n, d] (any dtype or layout; read through {@link NdBuffers#floatView}). */
    public static Samples of(INDArray matrix) {
        if (matrix.rank() != 2) {
            throw new IllegalArgumentException("Samples.of: expected a 2-D [samples, features] array, got shape "
                    + java.util.Arrays.toString(matrix.shape()));
        }
        return new Samples(NdBuffers.floatView(matrix).toArray(), (int) matrix.rows(), (int) matrix.columns());
    }

    public float get(int row, int col) {
        return values[row * cols + col];
    }

    /** Samples {@code [x | y]}: the columns of both, side by side. */
    static Samples concat(Samples x, Samples y) {
        requireSameRows(x, y);
        int d = x.cols + y.cols;
        float[] v = new float[x.rows * d];
        for (int i = 0; i < x.rows; i++) {
            System.arraycopy(x.values, i * x.cols, v, i * d, x.cols);
            System.arraycopy(y.values, i * y.cols, v, i * d + x.cols, y.cols);
        }
        return new Samples(v, x.rows, d);
    }

    static void requireSameRows(Samples x, Samples y) {
        if (x.rows != y.rows) {
            throw new IllegalArgumentException("mutual information needs paired samples: x has " + x.rows + " rows, y has "
                    + y.rows);
        }
    }

    static void requireLabels(Samples x, int[] labels) {
        if (labels.length != x.rows) {
            throw new IllegalArgumentException("mutual information needs one label per sample: " + x.rows + " samples, "
                    + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("labels must be class indices >= 0; labels[" + i + "] = " + labels[i]);
            }
        }
    }
}
