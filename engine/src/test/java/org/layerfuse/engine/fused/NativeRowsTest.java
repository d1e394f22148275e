package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NativeRows} against the heap kernels it replaces ({@link TransformerKernels#biasAdd},
 * {@link BackwardKernels#columnSums}): the same bits, over widths around the vector length; and
 * the column sums against a double loop.
 */
class NativeRowsTest {

    private static final int ROWS = 37;
    private static final int AT = 3;

    static int[] widths() {
        return FusedCases.widths();
    }

    @ParameterizedTest
    @MethodSource("widths")
    void biasAddIsTheHeapKernelBitForBit(int cols) {
        float[] x = FusedCases.uniform(AT + ROWS * cols + 2, 5, cols);
        float[] bias = FusedCases.uniform(cols, 3, cols + 1);
        float[] expected = x.clone();
        TransformerKernels.biasAdd(expected, AT, ROWS, cols, bias);
        ByteBuffer b = FusedCases.direct(x);
        NativeRows.biasAdd(b, AT, ROWS, cols, bias);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(b.getFloat(4 * i)),
                    "element " + i + (i < AT || i >= AT + ROWS * cols ? " (outside the rows: untouched)" : ""));
        }
    }

    @ParameterizedTest
    @MethodSource("widths")
    void columnSumsAreTheHeapKernelBitForBit(int cols) {
        float[] x = FusedCases.uniform(AT + ROWS * cols, 5, cols + 2);
        float[] expected = FusedCases.uniform(cols, 1, cols + 3); // sums accumulate onto what is there
        float[] got = expected.clone();
        double[] ref = FusedCases.toDouble(expected);
        BackwardKernels.columnSums(x, AT, ROWS, cols, expected);
        NativeRows.columnSums(FusedCases.direct(x), AT, ROWS, cols, got);
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < cols; c++) {
                ref[c] += x[AT + r * cols + c];
            }
        }
        for (int c = 0; c < cols; c++) {
            assertEquals(Float.floatToRawIntBits(expected[c]), Float.floatToRawIntBits(got[c]), "column " + c);
        }
        assertTrue(FusedCases.worst(got, ref, 1e-5, 1e-5) <= 1, "against the double loop");
    }

    @Test
    void rowsOutsideTheBufferOrAShortVectorAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeRows.biasAdd(FusedCases.direct(new float[10]), 2, 3, 3, new float[3]));
        assertTrue(e.getMessage().contains("3 × 3 floats from float 2 do not fit a buffer of 40 bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NativeRows.columnSums(FusedCases.direct(new float[12]), 0, 3, 4, new float[3]));
        assertTrue(e.getMessage().contains("the accumulator has 3 values, expected 4"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("widths")
    void sumOfRowsIsTheScalarSumOfTheGatheredRows(int cols) {
        float[] a = FusedCases.uniform(11 * cols, 2, cols + 20);
        float[] b = FusedCases.uniform(5 * cols, 1, cols + 21);
        float[] c = FusedCases.uniform(2 * cols, 1, cols + 22);
        int[] aRows = new int[ROWS];
        int[] bRows = new int[ROWS];
        int[] cRows = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            aRows[i] = (i * 7) % 11; // repeated rows too
            bRows[i] = i % 5;
            cRows[i] = (i / 3) % 2;
        }
        float[] out = new float[AT + ROWS * cols + 2];
        ByteBuffer o = FusedCases.direct(out);
        NativeRows.sumOfRows(o, AT, cols, FusedCases.direct(a), aRows, FusedCases.direct(b), bRows, FusedCases.direct(c),
                cRows);
        for (int i = 0; i < out.length; i++) {
            float expected = 0;
            if (i >= AT && i < AT + ROWS * cols) {
                int r = (i - AT) / cols;
                int col = (i - AT) % cols;
                float ab = a[aRows[r] * cols + col] + b[bRows[r] * cols + col];
                expected = ab + c[cRows[r] * cols + col];
            }
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(o.getFloat(4 * i)),
                    "element " + i + (i < AT || i >= AT + ROWS * cols ? " (outside the rows: untouched)" : ""));
        }
    }

    @Test
    void sumOfRowsNamesARowOutsideItsTable() {
        ByteBuffer t = FusedCases.direct(new float[4 * 8]); // 4 rows of 8
        ByteBuffer out = FusedCases.direct(new float[2 * 8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeRows.sumOfRows(out, 0, 8,
                t, new int[] {0, 1}, t, new int[] {3, 4}, t, new int[] {0, 0}));
        assertTrue(e.getMessage().contains("row 4 of the second table (for output row 1) is outside its 4 rows of 8 floats"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeRows.sumOfRows(out, 1, 8, t, new int[] {0, 1}, t,
                new int[] {0, 1}, t, new int[] {0, 0}));
        assertTrue(e.getMessage().contains("2 × 8 floats from float 1 do not fit a buffer of 64 bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeRows.sumOfRows(out, 0, 8, t, new int[] {0, 1}, t,
                new int[] {0}, t, new int[] {0, 0}));
        assertTrue(e.getMessage().contains("2, 1 and 2 row indices"), e.getMessage());
    }
}
