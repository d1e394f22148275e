package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The embedding tables' gradient against a scalar scatter-add (double sums in token order, rounded once). */
class EmbeddingLookupTest {

    private static double[][] reference(double[][] g, int[] rows, int tableRows) {
        double[][] out = new double[tableRows][g[0].length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < g[i].length; j++) {
                out[rows[i]][j] += g[i][j];
            }
        }
        return out;
    }

    @Test
    void repeatedRowsAddUpExactlyAsTheScalarLoopInBothPrecisions() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 300;
        int h = 24;
        int tableRows = 50;
        int[] rows = new int[n];
        double[][] g = new double[n][h];
        for (int i = 0; i < n; i++) {
            rows[i] = r.nextInt(i % 7 == 0 ? 3 : tableRows); // rows 0–2 read many times
            for (int j = 0; j < h; j++) {
                g[i][j] = (float) (r.nextDouble() * 2 - 1) * (1 + r.nextInt(1000));
            }
        }
        double[][] expected = reference(g, rows, tableRows);
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray sumGradient = Nd4j.createFromArray(g).castTo(dtype);
            INDArray grad = EmbeddingLookup.tableGradient(sumGradient, rows, tableRows);
            assertEquals(dtype, grad.dataType());
            assertArrayEquals(new long[] {tableRows, h}, grad.shape());
            for (int t = 0; t < tableRows; t++) {
                for (int j = 0; j < h; j++) {
                    double want = dtype == DataType.FLOAT ? (float) expected[t][j] : expected[t][j];
                    assertEquals(want, grad.getDouble(t, j), 0.0, dtype + " row " + t + " col " + j);
                }
            }
        }
    }

    @Test
    void aTransposedGradientGivesTheSameRows() {
        INDArray g = Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}).transpose(); // [3, 2] view, 'f' order
        INDArray grad = EmbeddingLookup.tableGradient(g, new int[] {1, 1, 0}, 3);
        assertArrayEquals(new float[] {3, 6}, grad.getRow(0).toFloatVector());
        assertArrayEquals(new float[] {1 + 2, 4 + 5}, grad.getRow(1).toFloatVector());
        assertArrayEquals(new float[] {0, 0}, grad.getRow(2).toFloatVector());
    }

    @Test
    void aRecycledTableIsClearedBeforeItIsReused() {
        INDArray first = EmbeddingLookup.tableGradient(Nd4j.ones(DataType.FLOAT, 2, 3), new int[] {0, 4}, 6);
        first.assign(7); // as a micro-batch sum may leave any row written
        Gradients used = new Gradients(0, null, java.util.Map.of(ParamNames.WORD_EMBEDDINGS, first));
        used.freeGradients();
        INDArray second = EmbeddingLookup.tableGradient(Nd4j.ones(DataType.FLOAT, 1, 3).muli(2), new int[] {2}, 6);
        org.junit.jupiter.api.Assertions.assertSame(first, second, "the freed table is reused");
        float[][] want = new float[6][3];
        want[2] = new float[] {2, 2, 2};
        assertArrayEquals(want, second.toFloatMatrix());
        // a table of another shape is not handed out for it
        INDArray other = EmbeddingLookup.tableGradient(Nd4j.ones(DataType.FLOAT, 1, 3), new int[] {1}, 5);
        org.junit.jupiter.api.Assertions.assertNotSame(second, other);
    }

    @Test
    void aRowOutsideTheTableIsRefusedWithTheTokenThatReadIt() {
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> EmbeddingLookup.tableGradient(Nd4j.ones(dtype, 3, 2), new int[] {0, 2, 3}, 3));
            assertEquals("embedding gradient: token 2 reads row 3 of a table of 3 rows", e.getMessage(), dtype + "");
        }
    }

    @Test
    void theSumWrittenIntoAGivenArrayIsTheGatheredRowsAddedBitForBit() {
        int n = 40;
        int h = 37; // a vector and a scalar tail on any width
        INDArray words = Nd4j.rand(DataType.FLOAT, 30, h).subi(0.5).muli(3);
        INDArray positions = Nd4j.rand(DataType.FLOAT, 16, h);
        INDArray types = Nd4j.rand(DataType.FLOAT, 2, h).subi(0.5);
        SplittableRandom r = new SplittableRandom(3);
        int[] ids = new int[n];
        int[] pos = new int[n];
        int[] tt = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(30);
            pos[i] = i % 16;
            tt[i] = r.nextInt(2);
        }
        INDArray gathered = EmbeddingLookup.sum(words, positions, types, ids, pos, tt, null); // pullRows, then two adds
        INDArray into = Nd4j.createUninitialized(DataType.FLOAT, n, h);
        assertSame(into, EmbeddingLookup.sum(words, positions, types, ids, pos, tt, into));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < h; j++) {
                float want = words.getFloat(ids[i], j) + positions.getFloat(pos[i], j);
                want += types.getFloat(tt[i], j);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(into.getFloat(i, j)), i + ", " + j);
                assertEquals(Float.floatToRawIntBits(gathered.getFloat(i, j)), Float.floatToRawIntBits(into.getFloat(i, j)),
                        "the gathering path, " + i + ", " + j);
            }
        }
        INDArray wrongShape = Nd4j.createUninitialized(DataType.FLOAT, n + 1, h);
        INDArray made = EmbeddingLookup.sum(words, positions, types, ids, pos, tt, wrongShape);
        assertNotSame(wrongShape, made, "an array of another shape is not written");
        assertEquals(gathered, made);
    }

    @Test
    void recycledTablesComeBackClearedOnePerShape() {
        INDArray g = Nd4j.rand(DataType.FLOAT, 6, 4).subi(0.5);
        int[] rows = {0, 1, 1, 3, 0, 2};
        INDArray five = EmbeddingLookup.tableGradient(g, rows, 5);
        INDArray seven = EmbeddingLookup.tableGradient(g, rows, 7);
        float[] expectedFive = five.dup().data().asFloat();
        float[] expectedSeven = seven.dup().data().asFloat();
        five.addi(100); // whatever the owner left in them
        seven.assign(-3);
        assertTrue(EmbeddingLookup.recycle(five));
        assertTrue(EmbeddingLookup.recycle(seven));
        INDArray sevenAgain = EmbeddingLookup.tableGradient(g, rows, 7);
        INDArray fiveAgain = EmbeddingLookup.tableGradient(g, rows, 5);
        assertSame(seven, sevenAgain, "the spare of that shape");
        assertSame(five, fiveAgain, "the spare of that shape");
        float[] gotFive = fiveAgain.data().asFloat();
        float[] gotSeven = sevenAgain.data().asFloat();
        for (int k = 0; k < gotFive.length; k++) {
            assertEquals(Float.floatToRawIntBits(expectedFive[k]), Float.floatToRawIntBits(gotFive[k]), "[5, 4] " + k);
        }
        for (int k = 0; k < gotSeven.length; k++) {
            assertEquals(Float.floatToRawIntBits(expectedSeven[k]), Float.floatToRawIntBits(gotSeven[k]), "[7, 4] " + k);
        }
        INDArray fresh = EmbeddingLookup.tableGradient(g, rows, 5);
        assertNotSame(five, fresh, "taken spares are not handed out twice");
        assertFalse(EmbeddingLookup.recycle(fresh.getRow(0)), "a view is not kept");
    }

    /** A vocabulary-sized spare (over 4 MiB: cleared on every core) comes back with the fresh table's bits. */
    @Test
    void aLargeRecycledTableComesBackCleared() {
        INDArray g = Nd4j.rand(DataType.FLOAT, 5, 384).subi(0.5);
        int[] rows = {2999, 7, 7, 1500, 0};
        INDArray table = EmbeddingLookup.tableGradient(g, rows, 3000);
        float[] expected = table.dup().data().asFloat();
        table.assign(1.5f);
        assertTrue(EmbeddingLookup.recycle(table));
        INDArray again = EmbeddingLookup.tableGradient(g, rows, 3000);
        assertSame(table, again, "the spare of that shape");
        float[] got = again.data().asFloat();
        for (int k = 0; k < got.length; k++) {
            assertEquals(Float.floatToRawIntBits(expected[k]), Float.floatToRawIntBits(got[k]), "element " + k);
        }
        again.close();
    }

    /**
     * A table handed back with the rows it was written in (its support) is cleared in those rows
     * only and comes back with the bits of a fresh table; a support past the table is refused.
     */
    @Test
    void aTableHandedBackWithItsSupportIsClearedThereAndComesBackAsAFreshOne() {
        INDArray g = Nd4j.rand(DataType.FLOAT, 5, 384).subi(0.5);
        int[] rows = {2999, 7, 7, 1500, 0};
        INDArray g2 = Nd4j.rand(DataType.FLOAT, 3, 384).subi(0.5);
        int[] rows2 = {8, 1500, 42};
        INDArray fresh = EmbeddingLookup.tableGradient(g2, rows2, 3000);
        float[] expected = fresh.dup().data().asFloat();
        fresh.close();
        INDArray table = EmbeddingLookup.tableGradient(g, rows, 3000);
        org.layerfuse.engine.kernels.RowSupport support = EmbeddingLookup.support(rows, 384);
        table.getRow(7).assign(9); // the owner may write inside the support (scale it, add a micro-batch's rows)
        Gradients used = new Gradients(0, null, java.util.Map.of(ParamNames.WORD_EMBEDDINGS, table),
                java.util.Map.of(ParamNames.WORD_EMBEDDINGS, support));
        used.freeGradients();
        INDArray again = EmbeddingLookup.tableGradient(g2, rows2, 3000);
        assertSame(table, again, "the spare of that shape");
        float[] got = again.data().asFloat();
        for (int k = 0; k < got.length; k++) {
            assertEquals(Float.floatToRawIntBits(expected[k]), Float.floatToRawIntBits(got[k]), "element " + k);
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> EmbeddingLookup.recycle(again, EmbeddingLookup.support(new int[] {3000}, 384)));
        assertTrue(e.getMessage().contains("[3000, 384]"), e.getMessage());
        again.close();
    }
}
