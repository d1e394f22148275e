package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * {@link GradientAccumulator} against a scalar double sum (relative 1e-12: both are
 * double-accurate) and against the case a float accumulator gets wrong.
 */
class GradientAccumulatorTest {

    @Test
    void matchesScalarDoubleSumsOverChunksOfAwkwardLengths() {
        int l = VectorKernels.LANES;
        int[] chunkLengths = {0, 1, l - 1, l, l + 1, 2 * l + 1, 1000, 65_537};
        GradientAccumulator acc = new GradientAccumulator();
        double abs = 0;
        double sq = 0;
        long count = 0;
        for (int c = 0; c < chunkLengths.length; c++) {
            float[] g = KernelCases.padded(KernelCases.random(chunkLengths[c], 40 + c), 2);
            acc.add(g, 2, chunkLengths[c]);
            abs += ScalarKernels.sumAbs(g, 2, chunkLengths[c]);
            sq += ScalarKernels.sumSquares(g, 2, chunkLengths[c]);
            count += chunkLengths[c];
        }
        assertEquals(abs, acc.sumAbs(), 1e-12 * abs);
        assertEquals(sq, acc.sumSquares(), 1e-12 * sq);
        assertEquals(count, acc.count());
        assertEquals(abs / count, acc.meanAbs(), 1e-12 * abs / count);
        assertEquals(sq / count, acc.meanSquare(), 1e-12 * sq / count);
    }

    /**
     * 10⁴ followed by 10⁷ values of 10⁻⁴ (in 1000 mini-batches): a float running sum never
     * moves off 10⁴ (10⁻⁴ is below half an ulp of 10⁴ in float), the accumulator gets
     * 10⁴ + 10⁷·float(10⁻⁴) to 1e-12; likewise Σg² = 10⁸ + 10⁷·float(10⁻⁴)² ≈ 10⁸ + 0.1.
     */
    @Test
    void losesNoPrecisionWhereAFloatSumWould() {
        GradientAccumulator acc = new GradientAccumulator();
        acc.add(new float[] {-1e4f}, 0, 1);
        float[] small = new float[10_000];
        java.util.Arrays.fill(small, 1e-4f);
        float naive = 1e4f;
        float naiveSq = 1e8f;
        for (int batch = 0; batch < 1000; batch++) {
            acc.add(small, 0, small.length);
            for (float g : small) {
                naive += Math.abs(g);
                naiveSq += g * g;
            }
        }
        double tiny = 1e-4f;
        double wantAbs = 1e4 + 1e7 * tiny;
        double wantSq = 1e8 + 1e7 * tiny * tiny;
        assertEquals(1e4f, naive, "the float running sum is stuck (this case is meaningful)");
        assertEquals(1e8f, naiveSq, "the float running sum of squares is stuck");
        assertEquals(wantAbs, acc.sumAbs(), 1e-12 * wantAbs);
        assertEquals(wantSq, acc.sumSquares(), 1e-12 * wantSq);
        assertEquals(10_000_001L, acc.count());
    }

    @Test
    void bufferAndArrayChunksAgreeAndMergeAdds() {
        float[] g = KernelCases.random(4099, 8);
        ByteBuffer le = ByteBuffer.allocateDirect(g.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        le.asFloatBuffer().put(g);
        ByteBuffer be = ByteBuffer.allocate(g.length * 4).order(ByteOrder.BIG_ENDIAN);
        be.asFloatBuffer().put(g);
        GradientAccumulator fromArray = new GradientAccumulator();
        fromArray.add(g, 0, g.length);
        for (ByteBuffer b : new ByteBuffer[] {le, be}) {
            GradientAccumulator fromBuffer = new GradientAccumulator();
            fromBuffer.add(b, 0, g.length);
            assertEquals(fromArray.sumAbs(), fromBuffer.sumAbs(), 1e-12 * fromArray.sumAbs(), b.order().toString());
            assertEquals(fromArray.sumSquares(), fromBuffer.sumSquares(), 1e-12 * fromArray.sumSquares());
        }
        GradientAccumulator half1 = new GradientAccumulator();
        GradientAccumulator half2 = new GradientAccumulator();
        half1.add(g, 0, 2000);
        half2.add(g, 2000, g.length - 2000);
        half1.merge(half2);
        assertEquals(fromArray.sumAbs(), half1.sumAbs(), 1e-12 * fromArray.sumAbs());
        assertEquals(g.length, half1.count());
        half1.reset();
        assertEquals(0, half1.count());
        assertTrue(Double.isNaN(half1.meanAbs()));
    }

    @Test
    void nanChunkIsRejectedAndLeavesTheAccumulatorUnchanged() {
        GradientAccumulator acc = new GradientAccumulator();
        float[] g = KernelCases.random(100, 1);
        acc.add(g, 0, 100);
        double before = acc.sumAbs();
        float[] bad = KernelCases.random(100, 2);
        bad[57] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> acc.add(bad, 0, 100));
        assertTrue(e.getMessage().contains("GradientAccumulator.add (chunk 1)") && e.getMessage().contains("index 57 "),
                e.getMessage());
        assertEquals(before, acc.sumAbs());
        assertEquals(100, acc.count());
    }
}
