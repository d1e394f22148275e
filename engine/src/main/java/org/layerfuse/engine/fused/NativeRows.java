package org.layerfuse.engine.fused;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Row-vector passes over rows of floats in native memory (a direct buffer in native order), with
 * no copy to the heap: a bias added to every row, and column sums. The same lane operations in
 * the same order as {@link TransformerKernels#biasAdd} and {@link BackwardKernels#columnSums}, so
 * the same bits (tested); those heap kernels remain the reference and the benchmark baseline.
 */
public final class NativeRows {

    private static final jdk.incubator.vector.VectorSpecies<Float> SPECIES = TransformerKernels.SPECIES;
    private static final int LANES = TransformerKernels.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private NativeRows() {
    }

    /** x[r, c] += bias[c] in place for {@code rows × cols} floats from float index {@code at}. */
    public static void biasAdd(ByteBuffer x, int at, int rows, int cols, float[] bias) {
        biasAdd(x, at, x, at, rows, cols, bias);
    }

    /**
     * dst[r, c] = src[r, c] + bias[c] for {@code rows × cols} floats from float indices {@code srcAt}
     * and {@code dstAt} ({@code dst} may be {@code src} at the same index: in place); one float
     * addition per element, e.g. the argument a derivative kernel then runs on.
     */
    public static void biasAdd(ByteBuffer src, int srcAt, ByteBuffer dst, int dstAt, int rows, int cols, float[] bias) {
        check("biasAdd", src, srcAt, rows, cols, bias, "bias");
        check("biasAdd", dst, dstAt, rows, cols, bias, "bias");
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, from = 4 * srcAt, to = 4 * dstAt; r < rows; r++, from += 4 * cols, to += 4 * cols) {
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector.fromByteBuffer(SPECIES, src, from + 4 * c, ORDER).add(FloatVector.fromArray(SPECIES, bias, c))
                        .intoByteBuffer(dst, to + 4 * c, ORDER);
            }
            for (; c < cols; c++) {
                dst.putFloat(to + 4 * c, src.getFloat(from + 4 * c) + bias[c]);
            }
        }
    }

    /** acc[c] += Σ_r x[r, c], row after row, for {@code rows × cols} floats from float index {@code at}. */
    public static void columnSums(ByteBuffer x, int at, int rows, int cols, float[] acc) {
        check("columnSums", x, at, rows, cols, acc, "accumulator");
        int bound = SPECIES.loopBound(cols);
        for (int r = 0, base = 4 * at; r < rows; r++, base += 4 * cols) {
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector.fromArray(SPECIES, acc, c).add(FloatVector.fromByteBuffer(SPECIES, x, base + 4 * c, ORDER))
                        .intoArray(acc, c);
            }
            for (; c < cols; c++) {
                acc[c] += x.getFloat(base + 4 * c);
            }
        }
    }

    /**
     * Row i of {@code out} = (a[aRows[i]] + b[bRows[i]]) + c[cRows[i]] for i in [0, aRows.length),
     * rows of {@code cols} floats (tables from float index 0, {@code out} from {@code outAt}):
     * the embedding sum of word, position and token-type rows, the two additions in that order
     * (as gathering the rows and adding the arrays gives).
     */
    public static void sumOfRows(ByteBuffer out, int outAt, int cols, ByteBuffer a, int[] aRows, ByteBuffer b,
                                 int[] bRows, ByteBuffer c, int[] cRows) {
        int n = aRows.length;
        if (bRows.length != n || cRows.length != n) {
            throw new IllegalArgumentException("NativeRows.sumOfRows: " + n + ", " + bRows.length + " and "
                    + cRows.length + " row indices, expected as many of each");
        }
        checkBlock("sumOfRows", out, outAt, n, cols);
        checkRows("first table", a, aRows, cols);
        checkRows("second table", b, bRows, cols);
        checkRows("third table", c, cRows, cols);
        int bound = SPECIES.loopBound(cols);
        for (int i = 0; i < n; i++) {
            int o = 4 * (outAt + i * cols);
            int x = 4 * aRows[i] * cols;
            int y = 4 * bRows[i] * cols;
            int z = 4 * cRows[i] * cols;
            int col = 0;
            for (; col < bound; col += LANES) {
                FloatVector.fromByteBuffer(SPECIES, a, x + 4 * col, ORDER)
                        .add(FloatVector.fromByteBuffer(SPECIES, b, y + 4 * col, ORDER))
                        .add(FloatVector.fromByteBuffer(SPECIES, c, z + 4 * col, ORDER))
                        .intoByteBuffer(out, o + 4 * col, ORDER);
            }
            for (; col < cols; col++) {
                out.putFloat(o + 4 * col, a.getFloat(x + 4 * col) + b.getFloat(y + 4 * col) + c.getFloat(z + 4 * col));
            }
        }
    }

    private static void checkRows(String name, ByteBuffer table, int[] rows, int cols) {
        long tableRows = table.limit() / Float.BYTES / Math.max(1, cols);
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= tableRows) {
                throw new IllegalArgumentException("NativeRows.sumOfRows: row " + rows[i] + " of the " + name
                        + " (for output row " + i + ") is outside its " + tableRows + " rows of " + cols + " floats");
            }
        }
        if (table.order() != ORDER) {
            throw new IllegalArgumentException("NativeRows.sumOfRows: the " + name + " must be in native byte order");
        }
    }

    private static void check(String what, ByteBuffer x, int at, int rows, int cols, float[] vector, String name) {
        checkBlock(what, x, at, rows, cols);
        if (vector.length < cols) {
            throw new IllegalArgumentException("NativeRows." + what + ": the " + name + " has " + vector.length
                    + " values, expected " + cols);
        }
    }

    /** {@code rows × cols} floats from float {@code at} fit {@code x}, a buffer in native byte order. */
    private static void checkBlock(String what, ByteBuffer x, int at, int rows, int cols) {
        if (rows < 0 || cols < 0 || at < 0 || (at + (long) rows * cols) * Float.BYTES > x.limit()) {
            throw new IllegalArgumentException("NativeRows." + what + ": " + rows + " × " + cols + " floats from float "
                    + at + " do not fit a buffer of " + x.limit() + " bytes");
        }
        if (x.order() != ORDER) {
            throw new IllegalArgumentException("NativeRows." + what + ": the buffer must be in native byte order");
        }
    }
}
