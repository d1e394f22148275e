package org.layerfuse.engine.kernels;

import java.util.Arrays;

/**
 * The rows of a row-major table that may hold something other than +0: those a sparse gradient
 * wrote. An embedding table's gradient is +0 outside the rows its batch read (MiniLM's word table
 * is half of its parameters; a batch of 1 024 tokens reads a few hundred of its 30 522 rows), so
 * the kernels that take one ({@link AdamWKernel#sumSquares(FloatView, RowSupport)}, {@link
 * AdamWKernel#update(org.nd4j.linalg.api.ndarray.INDArray, org.nd4j.linalg.api.ndarray.INDArray,
 * org.nd4j.linalg.api.ndarray.INDArray, org.nd4j.linalg.api.ndarray.INDArray, AdamWKernel.Step,
 * boolean[], RowSupport)}) leave the rest unread and give the bits they give reading it.
 *
 * <p>A claim, not a check: whoever hands one over guarantees every float outside these rows is +0.
 */
public final class RowSupport {

    private final int rowLength;
    private final int[] rows;

    private RowSupport(int rowLength, int[] rows) {
        this.rowLength = rowLength;
        this.rows = rows;
    }

    /**
     * The support of a table of rows of {@code rowLength} floats where rows {@code read} (in any
     * order, repeats allowed) were written.
     */
    public static RowSupport of(int rowLength, int[] read) {
        if (rowLength <= 0) {
            throw new IllegalArgumentException("RowSupport: row length must be positive, got " + rowLength);
        }
        int[] rows = Arrays.stream(read).distinct().sorted().toArray();
        if (rows.length > 0 && rows[0] < 0) {
            throw new IllegalArgumentException("RowSupport: row " + rows[0] + " is negative");
        }
        return new RowSupport(rowLength, rows);
    }

    /** Rows either support may hold (the support of the sum of two such tables). */
    public RowSupport union(RowSupport other) {
        if (other.rowLength != rowLength) {
            throw new IllegalArgumentException("RowSupport.union: rows of " + rowLength + " and " + other.rowLength
                    + " floats");
        }
        int[] both = Arrays.copyOf(rows, rows.length + other.rows.length);
        System.arraycopy(other.rows, 0, both, rows.length, other.rows.length);
        return of(rowLength, both);
    }

    public int rowLength() {
        return rowLength;
    }

    /** How many rows may be nonzero. */
    public int size() {
        return rows.length;
    }

    /** The rows, ascending (a copy). */
    public int[] rows() {
        return rows.clone();
    }

    /** Row {@code i} of {@link #rows()}. */
    public int row(int i) {
        return rows[i];
    }

    /** The first float past the last supported row (0 when there is none): the table must be at least this long. */
    public long end() {
        return rows.length == 0 ? 0 : ((long) rows[rows.length - 1] + 1) * rowLength;
    }

    /** Whether this names rows of a {@code [rows, columns]} table: its row length, no row past the last. */
    public boolean fits(long rows, long columns) {
        return columns == rowLength && end() <= rows * columns;
    }

    /** Whether floats [from, to) of the table lie outside every supported row (so are +0). */
    public boolean zeroBetween(long from, long to) {
        if (from >= to) {
            return true;
        }
        long first = from / rowLength;
        long last = (to - 1) / rowLength;
        if (first > Integer.MAX_VALUE) {
            return true;
        }
        int at = Arrays.binarySearch(rows, (int) first);
        if (at >= 0) {
            return false;
        }
        int next = -at - 1;
        return next >= rows.length || rows[next] > last;
    }

    @Override
    public String toString() {
        return "RowSupport[" + rows.length + " rows of " + rowLength + "]";
    }
}
