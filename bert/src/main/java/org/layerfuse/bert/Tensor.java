package org.layerfuse.bert;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order: the unit in which checkpoints are read and
 * written, independent of ND4J.
 */
public record Tensor(long[] shape, float[] data) {

    public Tensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values but data has " + data.length);
        }
        shape = shape.clone();
    }

    public static Tensor of(float[] data, long... shape) {
        return new Tensor(shape, data);
    }

    public int rank() {
        return shape.length;
    }

    public long size() {
        return data.length;
    }

    /** The transpose of a matrix (rank 2). */
    public Tensor transpose() {
        if (shape.length != 2) {
            throw new IllegalStateException("transpose needs a matrix, shape is " + Arrays.toString(shape));
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] out = new float[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data[r * cols + c];
            }
        }
        return new Tensor(new long[] {cols, rows}, out);
    }

    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
