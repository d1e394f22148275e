package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link BufferKernels} on ND4J memory through {@link NdBuffers#floatView}, against
 * {@link ScalarKernels} on the same values in a Java array; tolerances as in
 * {@link VectorKernelsTest} (1e-5·Σ|terms|; entropies relative 1e-5 + 1e-6). The arrays
 * are rows of a bigger matrix, so every view starts at a non-zero offset of ND4J's buffer.
 */
class BufferKernelsTest {

    @BeforeAll
    static void startNd4j() {
        Backend.init();
    }

    static IntStream lengths() {
        return KernelCases.lengths();
    }

    /** The middle row of a [3, n] matrix whose rows are junk, {@code values}, junk. */
    static INDArray middleRow(float[] values) {
        int n = values.length;
        if (n == 0) {
            return Nd4j.create(DataType.FLOAT, 0); // ND4J has no row view of an empty matrix
        }
        INDArray m = Nd4j.create(DataType.FLOAT, 3, n).assign(7f);
        m.getRow(1).assign(Nd4j.createFromArray(values));
        return m.getRow(1);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void kernelsOnNd4jRowViewsMatchScalarReference(int n) {
        float[] a = KernelCases.random(n, 21);
        INDArray row = middleRow(a);
        FloatView v = NdBuffers.floatView(row);
        assertTrue(v.zeroCopy(), "a row of a C-order float matrix is read in place");
        assertEquals(n == 0 ? 0 : n, row.offset(), "the view starts inside ND4J's buffer");
        assertEquals(n, v.length());
        assertMatches(a, v);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void specialInputsOnNd4jViewsMatchScalarReference(int n) {
        if (n == 0) {
            return;
        }
        KernelCases.specials(n).forEach(c -> assertMatches(c.values(), NdBuffers.floatView(middleRow(c.values()))));
    }

    static void assertMatches(float[] a, FloatView v) {
        int n = a.length;
        double scale = ScalarKernels.sumAbs(a, 0, n);
        double sq = ScalarKernels.sumSquares(a, 0, n);
        assertEquals(ScalarKernels.sum(a, 0, n), BufferKernels.sum(v), 1e-5 * scale, "sum");
        assertEquals(scale, BufferKernels.sumAbs(v), 1e-5 * scale, "sumAbs");
        assertEquals(sq, BufferKernels.sumSquares(v), 1e-5 * sq, "sumSquares");
        assertEquals(Math.sqrt(sq), BufferKernels.l2Norm(v), 1e-5 * Math.sqrt(sq), "l2Norm");
        assertEquals(ScalarKernels.countZeros(a, 0, n), BufferKernels.countZeros(v), "countZeros");
        double h = ScalarKernels.l1Entropy(a, 0, n, VectorKernels.DEFAULT_EPS);
        assertEquals(h, BufferKernels.l1Entropy(v, VectorKernels.DEFAULT_EPS), 1e-5 * Math.abs(h) + 1e-6, "l1Entropy");
        if (n > 0) {
            assertEquals(ScalarKernels.mean(a, 0, n), BufferKernels.mean(v), 1e-5 * scale / n, "mean");
            assertEquals(ScalarKernels.meanAbs(a, 0, n), BufferKernels.meanAbs(v), 1e-5 * scale / n, "meanAbs");
            assertEquals(ScalarKernels.meanSquare(a, 0, n), BufferKernels.meanSquare(v), 1e-5 * sq / n, "meanSquare");
        }
        float[] b = KernelCases.random(n, 99);
        double dotScale = 0;
        for (int i = 0; i < n; i++) {
            dotScale += Math.abs((double) a[i] * b[i]);
        }
        assertEquals(ScalarKernels.dot(a, 0, b, 0, n), BufferKernels.dot(v, NdBuffers.floatView(middleRow(b))),
                1e-5 * dotScale + 1e-30, "dot of two ND4J views");
    }

    /** A direct little-endian buffer holding {@code values} from element {@code at}. */
    static ByteBuffer littleEndianFrom(int at, float[] values) {
        ByteBuffer le = ByteBuffer.allocateDirect(4 * (values.length + at)).order(ByteOrder.LITTLE_ENDIAN);
        le.position(4 * at);
        le.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        le.position(0);
        return le;
    }

    /** A heap big-endian buffer holding {@code values}. */
    static ByteBuffer bigEndian(float[] values) {
        ByteBuffer be = ByteBuffer.allocate(4 * values.length).order(ByteOrder.BIG_ENDIAN);
        be.asFloatBuffer().put(values);
        return be;
    }

    /** The ByteBuffer kernels honour each buffer's byte order: a direct little-endian and a heap big-endian buffer. */
    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void byteBufferKernelsOnJavaOwnedBuffersOfEitherByteOrder(int n) {
        float[] a = KernelCases.random(n, 31);
        float[] b = KernelCases.random(n, 32);
        ByteBuffer le = littleEndianFrom(2, a);
        ByteBuffer be = bigEndian(b);
        double scale = ScalarKernels.sumAbs(a, 0, n);
        assertEquals(ScalarKernels.sum(a, 0, n), BufferKernels.sum(le, 2, n), 1e-5 * scale, "sum from element 2");
        assertEquals(ScalarKernels.countZeros(b, 0, n), BufferKernels.countZeros(be, 0, n), "countZeros big-endian");
        double sq = ScalarKernels.sumSquares(b, 0, n);
        assertEquals(sq, BufferKernels.sumSquares(be, 0, n), 1e-5 * sq, "sumSquares big-endian");
        double dotScale = 0;
        for (int i = 0; i < n; i++) {
            dotScale += Math.abs((double) a[i] * b[i]);
        }
        assertEquals(ScalarKernels.dot(a, 0, b, 0, n), BufferKernels.dot(le, 2, be, 0, n), 1e-5 * dotScale + 1e-30,
                "dot little-endian · big-endian");
        assertThrows(IllegalArgumentException.class, () -> BufferKernels.sum(be, 1, n));
    }

    /**
     * The weight-entropy signal reads ND4J memory through this kernel: it must give the array
     * kernel's bits (its logarithms are {@link FloatLog}'s, not {@code VectorOperators.LOG}, whose
     * last bits change once C2 compiles the loop), on either byte order and from an offset, and
     * the same bits on every call. Session 28 saw two runs of the main study differ in the 10th
     * digit of Weight Entropy while this kernel still used {@code VectorOperators.LOG}.
     */
    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void l1EntropyOnBuffersHasTheArrayKernelsBitsOnEveryCall(int n) {
        float[] a = KernelCases.random(n, 41);
        ByteBuffer le = littleEndianFrom(3, a);
        ByteBuffer be = bigEndian(a);
        long want = Double.doubleToRawLongBits(VectorKernels.l1Entropy(a, 0, n, VectorKernels.DEFAULT_EPS));
        FloatView view = NdBuffers.floatView(middleRow(a));
        for (int call = 0; call < 300; call++) { // cold, then (for the longer inputs) compiled by C2
            assertEquals(want, Double.doubleToRawLongBits(BufferKernels.l1Entropy(le, 3, n, VectorKernels.DEFAULT_EPS)),
                    "direct little-endian buffer from element 3, call " + call);
            assertEquals(want, Double.doubleToRawLongBits(BufferKernels.l1Entropy(be, 0, n, VectorKernels.DEFAULT_EPS)),
                    "heap big-endian buffer, call " + call);
            assertEquals(want, Double.doubleToRawLongBits(BufferKernels.l1Entropy(view, VectorKernels.DEFAULT_EPS)),
                    "ND4J row view, call " + call);
        }
    }

    @Test
    void rowEntropyOnAnNd4jSubArrayMatchesScalarReference() {
        int rows = 50;
        int rowLength = 33;
        float[] p = RowEntropyTest.softmaxRows(rows + 10, rowLength, 5);
        INDArray all = Nd4j.createFromArray(p).reshape('c', rows + 10, rowLength);
        INDArray sub = all.get(NDArrayIndex.interval(4, 4 + rows), NDArrayIndex.all());
        FloatView v = NdBuffers.floatView(sub);
        assertTrue(v.zeroCopy(), "a range of rows is contiguous");
        float[] columnMask = RowEntropyTest.zeroOneMask(5 * rowLength, 3);
        float[] rowMask = RowEntropyTest.zeroOneMask(rows, 4);
        rowMask[0] = 1f;
        double want = ScalarKernels.maskedMeanRowEntropy(p, 4 * rowLength, rows, rowLength, columnMask, 10, rowMask,
                VectorKernels.DEFAULT_EPS);
        double got = RowEntropy.maskedMean(v, rows, rowLength, columnMask, 10, rowMask, VectorKernels.DEFAULT_EPS);
        assertEquals(want, got, 1e-5 * want + 1e-6);
        float[] each = new float[rows];
        double[] wantEach = new double[rows];
        RowEntropy.entropies(v, rows, rowLength, null, 1, VectorKernels.DEFAULT_EPS, each);
        ScalarKernels.rowEntropies(p, 4 * rowLength, rows, rowLength, null, 1, VectorKernels.DEFAULT_EPS, wantEach);
        for (int r = 0; r < rows; r++) {
            assertEquals(wantEach[r], each[r], 1e-5 * wantEach[r] + 1e-6, "row " + r);
        }
    }

    @Test
    void gradientAccumulatorReadsNd4jViews() {
        float[] g = KernelCases.random(10_007, 6);
        GradientAccumulator acc = new GradientAccumulator();
        acc.add(NdBuffers.floatView(middleRow(g)));
        double abs = ScalarKernels.sumAbs(g, 0, g.length);
        assertEquals(abs, acc.sumAbs(), 1e-12 * abs);
        assertEquals(g.length, acc.count());
    }

    @Test
    void nanInNd4jMemoryIsRejectedWithTheViewIndex() {
        float[] a = KernelCases.random(1000, 3);
        a[777] = Float.NaN;
        FloatView v = NdBuffers.floatView(middleRow(a));
        for (Runnable run : new Runnable[] {() -> BufferKernels.sum(v), () -> BufferKernels.meanSquare(v),
                () -> BufferKernels.countZeros(v), () -> BufferKernels.l1Entropy(v, 1e-12f),
                () -> new GradientAccumulator().add(v)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run::run);
            assertTrue(e.getMessage().contains("NaN at index 777 "), e.getMessage());
        }
    }

    /**
     * The view is the only reference to its array: across garbage collections and new ND4J
     * allocations it must still read the same values. (Without the view holding the array,
     * ND4J frees the memory on its deallocator threads and the allocator writes its own
     * pointers over the first floats: the exact comparison fails or the JVM crashes.)
     */
    @Test
    void viewKeepsItsArrayAlive() throws InterruptedException {
        float[] values = KernelCases.random(100_000, 77);
        FloatView v = NdBuffers.floatView(Nd4j.createFromArray(values.clone()));
        double want = ScalarKernels.sumSquares(values, 0, values.length);
        for (int round = 0; round < 5; round++) {
            System.gc();
            Thread.sleep(100); // ND4J frees collected arrays on its own threads
            for (int j = 0; j < 20; j++) {
                Nd4j.create(DataType.FLOAT, values.length).assign(1e6f);
            }
            assertArrayEquals(values, v.toArray(), "round " + round);
            assertEquals(want, BufferKernels.sumSquares(v), 1e-5 * want, "round " + round);
        }
    }

    @Test
    void zeroCopyViewSeesWritesToTheArray() {
        INDArray m = Nd4j.create(DataType.FLOAT, 4, 10);
        INDArray row = m.getRow(2);
        FloatView v = NdBuffers.floatView(row);
        assertTrue(v.zeroCopy());
        m.putScalar(2, 3, 42f);
        m.putScalar(1, 3, -1f);
        assertEquals(42f, v.get(3), "the view is the array's memory, not a copy");
        assertEquals(42.0, BufferKernels.sum(v));
    }

    @Test
    void nonContiguousAndNonFloatArraysAreCopiedInCOrder() {
        INDArray m = Nd4j.arange(0, 24).castTo(DataType.FLOAT).reshape('c', 4, 6);
        INDArray transposed = m.transpose();
        INDArray columns = m.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3));
        INDArray fOrder = m.dup('f');
        INDArray doubles = m.castTo(DataType.DOUBLE);
        for (INDArray x : new INDArray[] {transposed, columns, fOrder, doubles}) {
            FloatView v = NdBuffers.floatView(x);
            float[] want = x.castTo(DataType.FLOAT).dup('c').data().asFloat();
            assertArrayEquals(want, v.toArray(), "C-order elements of " + java.util.Arrays.toString(x.shape()) + " "
                    + x.ordering() + " " + x.dataType());
            assertFalse(v.zeroCopy(), "copied: " + x.ordering() + " " + x.dataType());
        }
        assertFalse(NdBuffers.floatView(transposed).zeroCopy(), "a transpose is not C-contiguous");
        assertFalse(NdBuffers.floatView(columns).zeroCopy(), "a column range is strided");
        assertFalse(NdBuffers.floatView(doubles).zeroCopy(), "doubles are converted");
        // a slice of a 3-D array and a [1, n] row vector are C-contiguous
        INDArray cube = Nd4j.arange(0, 60).castTo(DataType.FLOAT).reshape('c', 3, 4, 5);
        FloatView slice = NdBuffers.floatView(cube.slice(2));
        assertTrue(slice.zeroCopy());
        assertArrayEquals(cube.slice(2).dup().data().asFloat(), slice.toArray());
        assertTrue(NdBuffers.floatView(m.get(NDArrayIndex.interval(2, 3), NDArrayIndex.all())).zeroCopy());
        assertEquals(0, NdBuffers.floatView(Nd4j.create(DataType.FLOAT, 0)).length());
    }

    @Test
    void contiguityRule() {
        assertTrue(NdBuffers.isCContiguous(new long[] {4, 6}, new long[] {6, 1}));
        assertTrue(NdBuffers.isCContiguous(new long[] {1, 6}, new long[] {99, 1}));
        assertTrue(NdBuffers.isCContiguous(new long[] {}, new long[] {}));
        assertFalse(NdBuffers.isCContiguous(new long[] {6, 4}, new long[] {1, 6}));
        assertFalse(NdBuffers.isCContiguous(new long[] {4, 2}, new long[] {6, 1}));
    }
}
