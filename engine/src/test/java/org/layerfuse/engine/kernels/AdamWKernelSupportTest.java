package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The kernels told where a gradient may be nonzero ({@link RowSupport}) against the same kernels
 * reading the whole gradient: the same bits, over steps whose supports differ (rows read in an
 * earlier step keep nonzero moments and get a +0 gradient later, as a fine-tuning run's word table).
 */
class AdamWKernelSupportTest {

    @ParameterizedTest
    @CsvSource({"384, 700", "5, 3001", "300, 1000", "1, 100003"})
    void theStepWithASupportGivesTheBitsOfTheWholeRead(int rowLength, int rows) {
        Backend.init();
        int n = rowLength * rows;
        SplittableRandom r = new SplittableRandom(rowLength * 7919L + rows);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = i % 101 == 0 ? -0f : (float) r.nextDouble(-1, 1);
        }
        INDArray[] whole = {Nd4j.createFromArray(p), null, Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n),
            Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n)};
        INDArray[] told = {Nd4j.createFromArray(p), null, whole[2].dup(), whole[3].dup()};
        boolean[] wholeFlags = new boolean[AdamWKernel.segments(n)];
        Arrays.fill(wholeFlags, true);
        boolean[] toldFlags = wholeFlags.clone();
        float[] scales = {0.7f, 1f, Float.NaN, 0.25f};
        for (int t = 1; t <= scales.length; t++) {
            int[] read = r.ints(Math.max(1, rows / 12), 0, rows).toArray();
            RowSupport support = RowSupport.of(rowLength, read);
            float[] g = new float[n]; // +0 outside the support
            for (int row : support.rows()) {
                int kind = r.nextInt(4); // 0: a zero row inside the support, 1: −0 and values, else values
                for (int j = 0; j < rowLength; j++) {
                    g[row * rowLength + j] = kind == 0 ? 0f : kind == 1 && j % 2 == 0 ? -0f : (float) r.nextDouble(-2, 2);
                }
            }
            INDArray grad = Nd4j.createFromArray(g);
            FloatView view = NdBuffers.floatView(grad);
            assertEquals(Double.doubleToRawLongBits(AdamWKernel.sumSquares(view)),
                    Double.doubleToRawLongBits(AdamWKernel.sumSquares(view, support)), "the norm's sum, step " + t);
            AdamWKernel.Step s = new AdamWKernel.Step(scales[t - 1], 0.9f, 0.999f, 1 - (float) Math.pow(0.9, t),
                    1 - (float) Math.pow(0.999, t), 1e-3f, 1e-8f, t % 2 == 0 ? 0f : 1e-5f);
            assertTrue(AdamWKernel.update(whole[0], grad, whole[2], whole[3], s, wholeFlags));
            assertTrue(AdamWKernel.update(told[0], grad, told[2], told[3], s, toldFlags, support));
            for (int j : new int[] {0, 2, 3}) {
                int[] e = bits(whole[j]);
                int[] got = bits(told[j]);
                for (int i = 0; i < n; i++) {
                    if (e[i] != got[i]) {
                        throw new AssertionError("rows of " + rowLength + ", step " + t + ": " + "p g m v".split(" ")[j]
                                + "[" + i + "] " + Float.intBitsToFloat(got[i]) + " != " + Float.intBitsToFloat(e[i]));
                    }
                }
            }
            assertEquals(Arrays.toString(wholeFlags), Arrays.toString(toldFlags), "zero-moment flags, step " + t);
        }
    }

    @ParameterizedTest
    @CsvSource({"384, 30522", "768, 700"})
    void theNormOfALargeTableReadsOnlyItsRowsWithTheSameBits(int rowLength, int rows) {
        Backend.init();
        int n = rowLength * rows; // several of the norm's parts, most of them outside the support
        SplittableRandom r = new SplittableRandom(rows);
        RowSupport support = RowSupport.of(rowLength, r.ints(300, 0, rows).toArray());
        INDArray g = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, rows, rowLength);
        for (int row : support.rows()) {
            g.getRow(row).assign(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, rowLength).subi(0.5));
        }
        FloatView view = NdBuffers.floatView(g);
        double scalar = 0;
        float[] f = g.data().asFloat();
        for (float x : f) {
            scalar += (double) x * x;
        }
        double told = AdamWKernel.sumSquares(view, support);
        assertEquals(Double.doubleToRawLongBits(AdamWKernel.sumSquares(view)), Double.doubleToRawLongBits(told));
        assertEquals(scalar, told, 1e-6 * scalar, "against a double loop over " + n + " floats");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdamWKernel.sumSquares(view, RowSupport.of(rowLength, new int[] {rows})));
        assertTrue(e.getMessage().contains("of a gradient of " + n + " floats"), e.getMessage());
    }

    private static int[] bits(INDArray a) {
        return a.data().asInt();
    }
}
