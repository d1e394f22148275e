package org.layerfuse.bert.graph.ops;

import java.util.concurrent.ConcurrentSkipListMap;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.NativeRows;
import org.layerfuse.engine.fused.ParallelRows;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row passes of the Java graph ops over float32 arrays in native memory: the rows are split
 * over {@link ParallelRows} and the kernels work on the buffers (bias add and column sums here,
 * GELU and layer norm in their ops); the attention gradient stages whole sequences in each
 * thread's heap arrays (grown on demand and kept).
 */
final class RowBlocks {

    /** Floats per block of {@link #run} (its bodies sum per block: the size fixes their bits). */
    private static final int BLOCK_FLOATS = 16 * 1024;
    /** Floats per block of {@link #columnSums} (a block's sums are one float array to add at the end). */
    private static final int SUM_BLOCK_FLOATS = 64 * 1024;
    /** Fewer rows than this per thread are not worth a second thread. */
    private static final int MIN_PARALLEL_FLOATS = 32 * 1024;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);
    private static final ThreadLocal<float[][]> SCRATCH2 = ThreadLocal.withInitial(() -> new float[4][0]);
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The body of a row pass over rows [from, from + count). */
    @FunctionalInterface
    interface Block {
        void run(int from, int count);
    }

    private RowBlocks() {
    }

    /** Fewest rows of {@code cols} floats worth a thread of their own. */
    static int minRows(int cols) {
        return Math.max(1, MIN_PARALLEL_FLOATS / cols);
    }

    /**
     * Runs {@code body} over [0, rows) in blocks of {@link #BLOCK_FLOATS} / cols rows at fixed
     * places (0, block, 2·block, …), for bodies that sum per block: the blocks do not depend on
     * the thread count or on which thread runs them, so neither do the bits. The threads take
     * chunks of whole blocks in turn ({@link ParallelRows#each}): a pool thread that wakes late
     * takes what is left instead of the caller waiting for a fixed half (≈ 2.8 ms of a MiniLM
     * training step's 49 row passes with fixed halves).
     */
    static void run(int rows, int cols, Block body) {
        runBlocks(rows, Math.max(1, BLOCK_FLOATS / cols), minRows(cols), body);
    }

    /** {@link #run} with blocks of {@code block} rows, threads given at least {@code minRows} rows. */
    static void runBlocks(int rows, int block, int minRows, Block body) {
        int blocks = (rows + block - 1) / block;
        ParallelRows.each(blocks, Math.max(1, minRows / block), (first, end) -> {
            for (int k = first; k < end; k++) {
                int from = k * block;
                body.run(from, Math.min(block, rows - from));
            }
        });
    }

    /**
     * x[r, :] += bias in place for a float32 {@code [rows, cols]} array (one rounding per
     * element, as any implementation of the addition gives).
     */
    static void addBias(INDArray x, INDArray bias, String what) {
        int cols = (int) x.columns();
        NativeFloats.Span xs = NativeFloats.of(x, what);
        float[] b = NativeFloats.toArray(bias);
        ParallelRows.each((int) x.rows(), minRows(cols),
                (from, to) -> NativeRows.biasAdd(xs.bytes(), xs.start() + from * cols, to - from, cols, b));
        java.lang.ref.Reference.reachabilityFence(x);
    }

    /**
     * Column sums of a float32 {@code [rows, cols]} array: the rows summed in order within fixed
     * blocks of {@link #SUM_BLOCK_FLOATS} / cols rows, then the blocks' sums added in row order
     * ({@link RowOrderedSums}): the same bits on any number of threads.
     */
    static float[] columnSums(INDArray x, String what) {
        return columnSums(x, what, null);
    }

    /**
     * {@link #columnSums(INDArray, String)} with {@code fill} run on each block of rows just
     * before the block is summed (it writes those rows of x: the sums then read them from the
     * cache instead of a second pass over the array). The same blocks, so the same bits.
     */
    static float[] columnSums(INDArray x, String what, Block fill) {
        int rows = (int) x.rows();
        int cols = (int) x.columns();
        NativeFloats.Span xs = NativeFloats.of(x, what);
        RowOrderedSums sums = new RowOrderedSums(1, cols);
        runBlocks(rows, Math.max(1, SUM_BLOCK_FLOATS / cols), minRows(cols), (from, count) -> {
            if (fill != null) {
                fill.run(from, count);
            }
            NativeRows.columnSums(xs.bytes(), xs.start() + from * cols, count, cols, sums.part(from)[0]);
        });
        java.lang.ref.Reference.reachabilityFence(x);
        return sums.total()[0];
    }

    /**
     * Sums over rows computed in parts on several threads (each part keyed by its first row),
     * then the parts added in row order: parts at fixed rows give the same bits on any thread count.
     */
    static final class RowOrderedSums {
        private final ConcurrentSkipListMap<Integer, float[][]> parts = new ConcurrentSkipListMap<>();
        private final int vectors;
        private final int cols;

        /** {@code vectors} sums of {@code cols} values each (dγ and dβ: two). */
        RowOrderedSums(int vectors, int cols) {
            this.vectors = vectors;
            this.cols = cols;
        }

        /** Zeroed accumulators for the part starting at row {@code from}. */
        float[][] part(int from) {
            float[][] part = new float[vectors][cols];
            parts.put(from, part);
            return part;
        }

        /** The parts added in row order. */
        float[][] total() {
            float[][] total = new float[vectors][cols];
            for (float[][] part : parts.values()) {
                for (int v = 0; v < vectors; v++) {
                    for (int c = 0; c < cols; c++) {
                        total[v][c] += part[v][c];
                    }
                }
            }
            return total;
        }
    }

    /** This thread's scratch arrays, each at least {@code floats} long. */
    static float[][] scratch(int floats) {
        return grow(SCRATCH.get(), floats);
    }

    /** A second set of this thread's scratch arrays, each at least {@code floats} long. */
    static float[][] scratch2(int floats) {
        return grow(SCRATCH2.get(), floats);
    }

    /** This thread's kernel work array, at least {@code floats} long. */
    static float[] work(int floats) {
        return grow(WORK.get(), floats)[0];
    }

    private static float[][] grow(float[][] s, int floats) {
        for (int i = 0; i < s.length; i++) {
            if (s[i].length < floats) {
                s[i] = new float[floats];
            }
        }
        return s;
    }
}
