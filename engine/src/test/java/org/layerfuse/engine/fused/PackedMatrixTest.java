package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link PackedMatrix}: a product against the weights reordered for oneDNN's 1×1 convolution has
 * a float64 loop's values and the matmul's within float32 rounding (with and without the bias,
 * rows at an offset, one row to 1024, MiniLM's and odd shapes); the pack is a snapshot; another
 * thread gets the same bits; what it cannot run it refuses, leaving the output untouched.
 */
class PackedMatrixTest {

    @BeforeAll
    static void backend() {
        Backend.init();
    }

    private static PackedMatrix packOrSkip(INDArray w) {
        PackedMatrix p = PackedMatrix.pack(w);
        Assumptions.assumeTrue(p != null, "oneDNN's packed GEMM is not available on this backend");
        return p;
    }

    @Test
    void productsMatchAFloat64LoopAndTheDirectProduct() {
        Nd4j.getRandom().setSeed(7);
        int[][] shapes = {{1, 384, 384}, {13, 384, 1536}, {64, 384, 384}, {100, 384, 1536}, {517, 1536, 384},
            {1024, 384, 384}, {70, 37, 53}, {5, 37, 53}};
        int oddRan = 0;
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            INDArray w = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
            INDArray bias = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
            INDArray big = Nd4j.rand(DataType.FLOAT, m + 3, k).subi(0.5);
            INDArray x = big.get(NDArrayIndex.interval(3, m + 3), NDArrayIndex.all()); // rows at an offset
            try (PackedMatrix p = packOrSkip(w)) {
                assertEquals(k, p.rows());
                assertEquals(n, p.columns());
                assertTrue(p.bytes() >= 4L * k * n, "the pack holds the matrix");
                for (boolean withBias : new boolean[] {false, true}) {
                    String what = m + "×" + k + "·" + k + "×" + n + (withBias ? " + bias" : "");
                    INDArray got = Nd4j.create(DataType.FLOAT, m, n);
                    boolean ran = p.gemm(x, withBias ? bias : null, got);
                    if (k % 16 != 0 || n % 16 != 0) {
                        // channels that are no multiple of the vector width: oneDNN may lay the weights
                        // out otherwise for a few rows (brgconv_1x1:avx512_core below 70 rows of
                        // 37 → 53 on an Intel AVX-512 Xeon); then the pack refuses, c untouched
                        if (!ran) {
                            for (float v : got.data().asFloat()) {
                                assertEquals(0, Float.floatToRawIntBits(v), what + ": refused, c untouched");
                            }
                            continue;
                        }
                        oddRan++;
                    }
                    assertTrue(ran, what + ": ran");
                    INDArray direct = Nd4j.create(DataType.FLOAT, m, n);
                    if (withBias) {
                        Gemm.gemmBias(x, w, bias, direct);
                    } else {
                        Gemm.gemm(x, w, direct, false, false, 1.0, 0.0);
                    }
                    float[] xs = x.dup('c').data().asFloat();
                    float[] ws = w.data().asFloat();
                    float[] bs = bias.data().asFloat();
                    float[] gs = got.data().asFloat();
                    float[] ds = direct.data().asFloat();
                    for (int i = 0; i < m; i += Math.max(1, m / 17)) {
                        for (int j = 0; j < n; j++) {
                            double sum = withBias ? bs[j] : 0;
                            double scale = withBias ? Math.abs(bs[j]) : 0;
                            for (int q = 0; q < k; q++) {
                                sum += (double) xs[i * k + q] * ws[q * n + j];
                                scale += Math.abs((double) xs[i * k + q] * ws[q * n + j]);
                            }
                            double tol = 1e-6 * scale + 1e-30;
                            assertEquals(sum, gs[i * n + j], tol, what + " [" + i + "," + j + "] against float64");
                            assertEquals(ds[i * n + j], gs[i * n + j], tol, what + " [" + i + "," + j + "] against direct");
                        }
                    }
                }
            }
        }
        assertTrue(oddRan > 0, "the pack ran a product whose channels leave vector tails");
    }

    @Test
    void activationsInTheProductsPassMatchAFloat64Loop() {
        Nd4j.getRandom().setSeed(8);
        int m = 37;
        int k = 96;
        int n = 200;
        INDArray w = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5).muli(0.4);
        INDArray bias = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
        INDArray x = Nd4j.rand(DataType.FLOAT, m, k).subi(0.5).muli(2);
        float[] xs = x.data().asFloat();
        float[] ws = w.data().asFloat();
        float[] bs = bias.data().asFloat();
        try (PackedMatrix p = packOrSkip(w)) {
            for (PackedMatrix.Activation act : PackedMatrix.Activation.values()) {
                INDArray got = Nd4j.create(DataType.FLOAT, m, n);
                assertTrue(p.gemm(x, bias, got, act), act + ": ran");
                float[] gs = got.data().asFloat();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double v = bs[j];
                        double scale = Math.abs(bs[j]);
                        for (int q = 0; q < k; q++) {
                            v += (double) xs[i * k + q] * ws[q * n + j];
                            scale += Math.abs((double) xs[i * k + q] * ws[q * n + j]);
                        }
                        double want = switch (act) {
                            case NONE -> v;
                            case RELU -> Math.max(0, v);
                            case GELU_ERF -> 0.5 * v * (1 + org.apache.commons.math3.special.Erf.erf(v / Math.sqrt(2)));
                            case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                        };
                        assertEquals(want, gs[i * n + j], 2e-6 * scale + 2e-6 * Math.abs(want) + 1e-7,
                                act + " [" + i + "," + j + "]");
                    }
                }
            }
        }
    }

    /**
     * Products split in a {@link Team}'s scope (columns for few rows, rows for many) give the bits
     * of one unsplit call outside it (the kernels cut neither sum): the team changes who computes,
     * not what. The output may be a row range of a larger array; rows outside it stay as they were.
     */
    @Test
    void aTeamSplitsProductsWithoutChangingTheirBits() {
        Nd4j.getRandom().setSeed(9);
        int[][] shapes = {{1, 384, 384}, {16, 384, 1536}, {37, 1536, 384}, {256, 384, 384}, {257, 384, 1536},
            {1024, 384, 384}, {40, 96, 200}};
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            INDArray w = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
            INDArray bias = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
            INDArray x = Nd4j.rand(DataType.FLOAT, m, k).subi(0.5);
            try (PackedMatrix p = packOrSkip(w)) {
                if (Team.threads() > 1 && n % 32 == 0 && n >= 128) {
                    assertEquals(2, Math.min(2, p.blocks()), m + "×" + k + "·" + k + "×" + n + ": column blocks");
                }
                for (PackedMatrix.Activation act : new PackedMatrix.Activation[] {PackedMatrix.Activation.NONE,
                    PackedMatrix.Activation.GELU_ERF}) {
                    String what = m + "×" + k + "·" + k + "×" + n + " " + act;
                    INDArray alone = Nd4j.create(DataType.FLOAT, m, n);
                    assertTrue(p.gemm(x, bias, alone, act), what + ": ran, one call outside a scope");
                    INDArray big = Nd4j.rand(DataType.FLOAT, m + 5, n);
                    float[] was = big.data().asFloat();
                    INDArray inTeam = big.get(NDArrayIndex.interval(2, m + 2), NDArrayIndex.all());
                    try (Team.Scope scope = Team.enter()) {
                        assertTrue(p.gemm(x, bias, inTeam, act), what + ": ran in a team");
                    }
                    assertArrayEquals(alone.data().asInt(), inTeam.dup().data().asInt(), what + ": split in a team against one call");
                    float[] after = big.data().asFloat();
                    for (int i = 0; i < after.length; i++) {
                        if (i < 2 * n || i >= (m + 2) * n) {
                            assertEquals(Float.floatToRawIntBits(was[i]), Float.floatToRawIntBits(after[i]),
                                    what + ": element " + i + " outside the output rows");
                        }
                    }
                }
            }
        }
    }

    @Test
    void columnBlocksAndRowGroups() {
        assertEquals(2, PackedMatrix.columnBlocks(384, 2));
        assertEquals(2, PackedMatrix.columnBlocks(1536, 2));
        assertEquals(1, PackedMatrix.columnBlocks(384, 1), "one thread: no split");
        assertEquals(1, PackedMatrix.columnBlocks(100, 2), "blocks too narrow");
        assertEquals(1, PackedMatrix.columnBlocks(200, 2), "100 columns: no multiple of 16");
        assertEquals(4, PackedMatrix.columnBlocks(384, 4));
        assertEquals(4, PackedMatrix.columnBlocks(384, 5), "5 × 16 does not divide 384: 4 blocks");
        assertEquals(6, PackedMatrix.columnBlocks(384, 16), "at least 64 columns a block");
        assertEquals(1, PackedMatrix.rowGroups(20, 2), "too few rows for two groups");
        assertEquals(2, PackedMatrix.rowGroups(32, 2));
        assertEquals(2, PackedMatrix.rowGroups(1024, 2));
        assertEquals(16, PackedMatrix.rowGroups(1024, 16));
        assertEquals(3, PackedMatrix.rowGroups(50, 16));
    }

    @Test
    void onlyJit1x1KernelsAreUsed() {
        assertTrue(PackedMatrix.kernelAccepted("jit_1x1:avx2"));
        assertTrue(PackedMatrix.kernelAccepted("jit_1x1:avx512_core"));
        assertTrue(PackedMatrix.kernelAccepted("brgconv_1x1:avx512_core"));
        assertFalse(PackedMatrix.kernelAccepted("gemm:jit"), "a GEMM-based convolution");
        assertFalse(PackedMatrix.kernelAccepted("ref:any"));
        assertFalse(PackedMatrix.kernelAccepted("jit:avx2"), "a convolution kernel for any window");
        assertFalse(PackedMatrix.kernelAccepted(null));
    }

    @Test
    void thePackIsASnapshotOfTheWeights() {
        INDArray w = Nd4j.rand(DataType.FLOAT, 384, 384).subi(0.5);
        INDArray x = Nd4j.rand(DataType.FLOAT, 128, 384).subi(0.5);
        INDArray before = Nd4j.create(DataType.FLOAT, 128, 384);
        Gemm.gemm(x, w, before, false, false, 1.0, 0.0);
        try (PackedMatrix p = packOrSkip(w)) {
            w.muli(2); // written after packing: not seen
            INDArray got = Nd4j.create(DataType.FLOAT, 128, 384);
            assertTrue(p.gemm(x, null, got));
            float[] b = before.data().asFloat();
            float[] g = got.data().asFloat();
            for (int i = 0; i < b.length; i++) {
                assertEquals(b[i], g[i], 2e-5 * (1 + Math.abs(b[i])), "element " + i);
            }
        }
    }

    @Test
    void refusesWhatItCannotRunAndLeavesTheOutput() {
        assertNull(PackedMatrix.pack(Nd4j.rand(DataType.DOUBLE, 8, 8)), "float64 is not packed");
        assertNull(PackedMatrix.pack(Nd4j.rand(DataType.FLOAT, 8, 16).transpose()), "a transposed view is not packed");
        INDArray w = Nd4j.rand(DataType.FLOAT, 64, 32);
        PackedMatrix p = packOrSkip(w);
        INDArray c = Nd4j.rand(DataType.FLOAT, 80, 32);
        float[] was = c.data().asFloat();
        assertFalse(p.gemm(Nd4j.rand(DataType.FLOAT, 80, 63), null, c), "inner dimension not the pack's");
        assertFalse(p.gemm(Nd4j.rand(DataType.FLOAT, 80, 64), Nd4j.rand(DataType.FLOAT, 31), c), "bias not n wide");
        assertFalse(p.gemm(Nd4j.rand(DataType.FLOAT, 80, 64), null, Nd4j.rand(DataType.FLOAT, 80, 33)), "c not n wide");
        assertFalse(p.gemm(Nd4j.rand(DataType.FLOAT, 81, 64), null, c), "rows differ");
        assertFalse(p.gemm(Nd4j.rand(DataType.FLOAT, 64, 80).transpose(), null, c), "x not row-major");
        assertArrayEquals(was, c.data().asFloat(), "refused products leave c as it was");
        INDArray x = Nd4j.rand(DataType.FLOAT, 80, 64);
        INDArray here = Nd4j.create(DataType.FLOAT, 80, 32);
        assertTrue(p.gemm(x, null, here));
        INDArray there = Nd4j.create(DataType.FLOAT, 80, 32);
        boolean[] ran = {false};
        Thread other = new Thread(() -> ran[0] = p.gemm(x, null, there)); // its own primitives, the same pack
        other.start();
        assertDoesNotThrow(() -> other.join());
        assertTrue(ran[0], "another thread");
        assertArrayEquals(here.data().asInt(), there.data().asInt(), "another thread: the same bits");
        p.close();
        assertEquals(0, p.bytes());
        assertFalse(p.gemm(Nd4j.rand(DataType.FLOAT, 80, 64), null, c), "closed");
        p.close(); // twice is fine
        assertNotNull(w);
    }
}
