package org.layerfuse.bert;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.layerfuse.engine.fused.NativeRows;
import org.layerfuse.engine.fused.NativeZero;
import org.layerfuse.engine.kernels.RowSupport;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterUpdate;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The embedding gathers that feed the graph, and their gradient: row {@code i} of the sum is
 * word[ids[i]] + position[positions[i]] + tokenType[types[i]]; the gradient of a table is the
 * scatter-add of the sum's gradient rows into the rows that were read (repeated ids add up).
 *
 * <p>The scatter-add is done here, in a fixed order, rather than with ND4J's {@code
 * scatter_add}: that op races on repeated indices (measured: different sums from run to
 * run, even lost updates), which would make training neither repeatable nor correct.
 */
final class EmbeddingLookup {

    private EmbeddingLookup() {
    }

    /**
     * Row i = word[ids[i]] + position[positions[i]] + type[types[i]], written into {@code into}
     * when it is a C-ordered float32 {@code [ids.length, H]} array and the tables are C-ordered
     * float32 arrays of their own memory (the graph's embedding-sum variable: no array made and
     * copied a call); else (or with {@code into} null) into a new array of gathered rows.
     */
    static INDArray sum(INDArray words, INDArray positionTable, INDArray typeTable, int[] ids, int[] positions,
                        int[] types, INDArray into) {
        long h = words.columns();
        if (into != null && NativeFloats.accepts(into) && into.rank() == 2 && into.rows() == ids.length
                && into.columns() == h && ownFloats(words) && ownFloats(positionTable) && ownFloats(typeTable)
                && positionTable.columns() == h && typeTable.columns() == h) {
            NativeFloats.Span out = NativeFloats.of(into, "embedding sum");
            NativeRows.sumOfRows(out.bytes(), out.start(), (int) h, NativeFloats.of(words, "word embeddings").bytes(), ids,
                    NativeFloats.of(positionTable, "position embeddings").bytes(), positions,
                    NativeFloats.of(typeTable, "token type embeddings").bytes(), types);
            java.lang.ref.Reference.reachabilityFence(into);
            java.lang.ref.Reference.reachabilityFence(words);
            java.lang.ref.Reference.reachabilityFence(positionTable);
            java.lang.ref.Reference.reachabilityFence(typeTable);
            return into;
        }
        INDArray out = Nd4j.pullRows(words, 1, ids);
        try (INDArray p = Nd4j.pullRows(positionTable, 1, positions); INDArray t = Nd4j.pullRows(typeTable, 1, types)) {
            out.addi(p).addi(t);
        }
        return out;
    }

    /** The shape of a spare table. */
    private record TableShape(DataType dtype, long rows, long cols) {
    }

    /** A table given back, and the rows it may hold other than +0 (null: anywhere). */
    private record Spare(INDArray table, RowSupport written) {
    }

    /** Gradient tables a freed {@link Gradients} gave back ({@link #recycle}): the last one of each shape. */
    private static final ConcurrentHashMap<TableShape, Spare> SPARE_TABLES = new ConcurrentHashMap<>();

    /**
     * ∂L/∂table for a table of {@code tableRows} rows, given ∂L/∂sum {@code [N, H]} and the rows
     * read. Each read row's gradient is summed in double, over the tokens that read it in token
     * order (deterministic), then rounded once to the gradient's type. The sums are made in the
     * native buffers, so a call makes no Java array of the batch's size (BERT-base: three 3–6 MB
     * arrays a call, which G1 allocates as humongous objects and grew the heap by for each step).
     */
    static INDArray tableGradient(INDArray sumGradient, int[] rows, long tableRows) {
        int n = rows.length;
        int h = (int) sumGradient.columns();
        DataType dtype = sumGradient.dataType();
        for (int i = 0; i < n; i++) {
            if (rows[i] < 0 || rows[i] >= tableRows) {
                throw new IllegalArgumentException("embedding gradient: token " + i + " reads row " + rows[i]
                        + " of a table of " + tableRows + " rows");
            }
        }
        if (NativeFloats.accepts(sumGradient)) {
            INDArray grad = zeroTable(dtype, tableRows, h);
            if (NativeFloats.accepts(grad)) {
                floatTableGradient(sumGradient, rows, grad);
                return grad;
            }
            grad.close();
        }
        int[] unique = Arrays.stream(rows).distinct().sorted().toArray();
        // one pass: C order and double (float → double is exact)
        INDArray g = Nd4j.createUninitialized(DataType.DOUBLE, sumGradient.shape(), 'c').assign(sumGradient);
        INDArray updates = Nd4j.zeros(DataType.DOUBLE, unique.length, h);
        DoubleBuffer src = doubles(g);
        DoubleBuffer dst = doubles(updates);
        for (int i = 0; i < n; i++) {
            int from = i * h;
            int to = Arrays.binarySearch(unique, rows[i]) * h;
            for (int j = 0; j < h; j++) {
                dst.put(to + j, dst.get(to + j) + src.get(from + j));
            }
        }
        g.close();
        INDArray typed = dtype == DataType.DOUBLE ? updates : updates.castTo(dtype); // one rounding per sum
        INDArray grad = zeroTable(dtype, tableRows, h);
        try (INDArray indices = Nd4j.createFromArray(unique)) {
            Nd4j.scatterUpdate(ScatterUpdate.UpdateOp.ASSIGN, grad, indices, typed, 1);
        }
        if (typed != updates) {
            typed.close();
        }
        updates.close();
        return grad;
    }

    /**
     * {@link #tableGradient} for a C-ordered float32 gradient: the tokens ordered by the row they
     * read (token order kept within a row), each row's sum made in a double accumulator in that
     * order and rounded once into the zeroed table — the same additions in the same order as the
     * general path, without its double copy of the batch, its double sums array, the cast and
     * the scatter (measured on 1 024 tokens with the table recycled: BERT-base 27 → 5 ms a
     * training step, MiniLM 15 → 1.4 ms).
     */
    private static void floatTableGradient(INDArray sumGradient, int[] rows, INDArray grad) {
        int n = rows.length;
        int h = (int) sumGradient.columns();
        long[] byRow = new long[n];
        for (int i = 0; i < n; i++) {
            byRow[i] = (long) rows[i] << 32 | i;
        }
        Arrays.sort(byRow);
        NativeFloats.Span src = NativeFloats.of(sumGradient, "embedding-sum gradient");
        NativeFloats.Span dst = NativeFloats.of(grad, "embedding table gradient");
        float[] in = new float[h];
        double[] acc = new double[h];
        for (int first = 0; first < n; ) {
            int row = (int) (byRow[first] >>> 32);
            Arrays.fill(acc, 0.0);
            int next = first;
            for (; next < n && (int) (byRow[next] >>> 32) == row; next++) {
                src.read((int) byRow[next] * h, in, 0, h);
                for (int j = 0; j < h; j++) {
                    acc[j] += in[j];
                }
            }
            for (int j = 0; j < h; j++) {
                in[j] = (float) acc[j];
            }
            dst.write(Math.toIntExact((long) row * h), in, 0, h);
            first = next;
        }
        java.lang.ref.Reference.reachabilityFence(sumGradient);
        java.lang.ref.Reference.reachabilityFence(grad);
    }

    /**
     * A zeroed {@code [rows, cols]} table: the one a freed {@link Gradients} gave back when it
     * has that shape, else a new one. The word-embedding gradient is a dense vocabulary-sized
     * table (47 MB for MiniLM); allocating it anew every training step cost ≈ 30 ms in fresh
     * pages (glibc maps blocks over 32 MB straight from the kernel and unmaps them on free),
     * clearing a resident one costs a few milliseconds. The position table (MiniLM: 512 × 384,
     * 786 KB) is kept too: allocated anew, its pages cost up to ≈ 3.7 ms a step on this
     * project's virtual machines, where a fresh page costs microseconds.
     */
    private static INDArray zeroTable(DataType dtype, long rows, long cols) {
        Spare spare = SPARE_TABLES.remove(new TableShape(dtype, rows, cols));
        if (spare == null) {
            return Nd4j.zeros(dtype, rows, cols);
        }
        if (spare.written() != null) {
            NativeZero.zeroRows(spare.table(), spare.written().rows()); // the rows the last call wrote: the rest is +0
        } else {
            NativeZero.zero(spare.table()); // on every core: 4.8 → 2.9 ms a MiniLM step (Intel AVX-512)
        }
        return spare.table();
    }

    /** The rows a table gradient of rows {@code read} writes (its support: +0 elsewhere). */
    static RowSupport support(int[] read, long columns) {
        return RowSupport.of(Math.toIntExact(columns), read);
    }

    /**
     * Takes an embedding-table gradient whose owner is done with it, to be cleared and handed
     * out again by the next {@link #tableGradient} of its shape; the last one given of each
     * shape is kept. {@code written}: the rows that may hold other than +0 (only those are
     * cleared), or null (all are).
     *
     * @return whether it was taken (else the caller frees it)
     */
    static boolean recycle(INDArray table, RowSupport written) {
        if (table == null || !table.closeable() || table.wasClosed() || table.isView() || table.rank() != 2
                || table.ordering() != 'c') {
            return false;
        }
        if (written != null && !written.fits(table.rows(), table.columns())) {
            throw new IllegalArgumentException("embedding gradient of shape " + java.util.Arrays.toString(table.shape())
                    + " handed back with " + written + " up to float " + written.end());
        }
        Spare previous = SPARE_TABLES.put(new TableShape(table.dataType(), table.rows(), table.columns()),
                new Spare(table, written));
        if (previous != null && previous.table() != table) { // the same table given twice stays the spare
            Gradients.freeArray(previous.table());
        }
        return true;
    }

    /** {@link #recycle(INDArray, RowSupport)} of a table that may hold anything (cleared whole). */
    static boolean recycle(INDArray table) {
        return recycle(table, null);
    }

    /** A C-ordered float32 rank-2 array starting at its buffer's first float. */
    private static boolean ownFloats(INDArray table) {
        return table.rank() == 2 && NativeFloats.accepts(table) && table.offset() == 0;
    }

    private static DoubleBuffer doubles(INDArray c) {
        return c.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }
}
