package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NativeZeroTest {

    /**
     * Every byte of the buffer becomes zero (raw bits, so no −0.0 either), on the parallel path
     * (a size that is no multiple of its 1 MiB blocks) and on the one-thread path, float and
     * double; the other arrays keep their values.
     */
    @Test
    void zeroesEveryByteOfTheArrayAndNothingElse() {
        Backend.init();
        Nd4j.getRandom().setSeed(5);
        long[][] shapes = {{30_522 / 8, 385}, {7, 13}};
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (long[] shape : shapes) {
                INDArray before = Nd4j.rand(type, shape).addi(0.5);
                INDArray a = Nd4j.rand(type, shape).addi(0.5);
                INDArray after = Nd4j.rand(type, shape).addi(0.5);
                INDArray beforeCopy = before.dup();
                INDArray afterCopy = after.dup();
                NativeZero.zero(a);
                String what = type + " " + java.util.Arrays.toString(shape);
                if (type == DataType.FLOAT) {
                    for (float f : a.data().asFloat()) {
                        assertEquals(0, Float.floatToRawIntBits(f), what);
                    }
                    assertTrue(java.util.Arrays.equals(beforeCopy.data().asFloat(), before.data().asFloat()), what);
                    assertTrue(java.util.Arrays.equals(afterCopy.data().asFloat(), after.data().asFloat()), what);
                } else {
                    for (double d : a.data().asDouble()) {
                        assertEquals(0L, Double.doubleToRawLongBits(d), what);
                    }
                    assertTrue(java.util.Arrays.equals(beforeCopy.data().asDouble(), before.data().asDouble()), what);
                    assertTrue(java.util.Arrays.equals(afterCopy.data().asDouble(), after.data().asDouble()), what);
                }
            }
        }
        long bytes = (30_522 / 8) * 385 * 4L;
        assertTrue(bytes > NativeZero.PARALLEL_BYTES && bytes % (1 << 20) != 0, "the large case takes the parallel path");
    }

    @Test
    void refusesAViewNamingIt() {
        Backend.init();
        INDArray whole = Nd4j.rand(DataType.FLOAT, 4, 6);
        INDArray view = whole.getRow(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeZero.zero(view));
        assertTrue(e.getMessage().contains("view"), e.getMessage());
    }

    /** The rows named become raw zero bits, every other float keeps its bits; bad rows and views are refused. */
    @Test
    void zeroesTheRowsNamedAndNothingElse() {
        Backend.init();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = Nd4j.rand(type, 9, 7).addi(0.5);
            INDArray copy = a.dup();
            int[] rows = {0, 3, 8};
            NativeZero.zeroRows(a, rows);
            for (int r = 0; r < 9; r++) {
                boolean zeroed = r == 0 || r == 3 || r == 8;
                for (int c = 0; c < 7; c++) {
                    double got = a.getDouble(r, c);
                    if (zeroed) {
                        assertEquals(0L, Double.doubleToRawLongBits(got), type + " row " + r);
                    } else {
                        assertEquals(Double.doubleToRawLongBits(copy.getDouble(r, c)), Double.doubleToRawLongBits(got),
                                type + " row " + r);
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NativeZero.zeroRows(a, new int[] {9}));
            assertTrue(e.getMessage().contains("row 9 of a table of 9 rows"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> NativeZero.zeroRows(a.getRow(1).reshape(1, 7), rows));
        }
    }
}
