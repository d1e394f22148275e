package org.layerfuse.bert.graph.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The row passes that sum: blocks at fixed rows (so the bits do not depend on the thread count
 * or on which thread took which block), every row once, and column sums that are the blocks'
 * in-order float sums added in row order.
 */
class RowBlocksTest {

    @ParameterizedTest
    @CsvSource({"1024, 384", "1024, 1536", "4096, 768", "37, 5", "1, 3", "100, 1000"})
    void runVisitsEveryRowOnceInBlocksAtFixedRows(int rows, int cols) {
        List<int[]> seen = Collections.synchronizedList(new ArrayList<>());
        RowBlocks.run(rows, cols, (from, count) -> seen.add(new int[] {from, count}));
        seen.sort((a, b) -> Integer.compare(a[0], b[0]));
        int block = Math.max(1, 16 * 1024 / cols);
        int next = 0;
        for (int[] s : seen) {
            assertEquals(next, s[0], "blocks follow each other from row 0");
            assertEquals(Math.min(block, rows - next), s[1], "a block of " + block + " rows, the last one shorter");
            next += s[1];
        }
        assertEquals(rows, next, "every row once");
    }

    @ParameterizedTest
    @CsvSource({"1024, 384", "1024, 1536", "37, 5", "1, 3", "300, 1000"})
    void columnSumsAreTheBlocksInOrderSumsAddedInRowOrder(int rows, int cols) {
        Backend.init();
        SplittableRandom r = new SplittableRandom(rows * 31L + cols);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        INDArray a = Nd4j.createFromArray(x).reshape(rows, cols);
        float[] sums = RowBlocks.columnSums(a, "test rows");
        int block = Math.max(1, 64 * 1024 / cols);
        float[] expected = new float[cols];
        for (int from = 0; from < rows; from += block) {
            float[] part = new float[cols];
            for (int row = from; row < Math.min(rows, from + block); row++) {
                for (int c = 0; c < cols; c++) {
                    part[c] += x[row * cols + c];
                }
            }
            for (int c = 0; c < cols; c++) {
                expected[c] += part[c];
            }
        }
        for (int c = 0; c < cols; c++) {
            double exact = 0;
            for (int row = 0; row < rows; row++) {
                exact += x[row * cols + c];
            }
            assertEquals(Float.floatToRawIntBits(expected[c]), Float.floatToRawIntBits(sums[c]), "column " + c + " bits");
            assertEquals(exact, sums[c], 1e-5 * rows, "column " + c + " against a double sum");
        }
    }
}
