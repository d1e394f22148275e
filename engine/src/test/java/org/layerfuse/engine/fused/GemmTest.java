package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GemmTest {

    @BeforeAll
    static void backend() {
        Backend.init();
    }

    /** Every transpose combination and a β ≠ 0, on both libraries: the same bits as Nd4j.gemm, and a scalar loop's values. */
    @Test
    void sameBitsAsNd4jGemmAndTheScalarProduct() {
        int m = 37;
        int k = 53;
        int n = 29;
        for (GemmRoute.Route route : GemmRoute.Route.values()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (double[] ab : new double[][] {{1, 0}, {0.5, 2}}) {
                        Nd4j.getRandom().setSeed(7);
                        INDArray a = ta ? Nd4j.rand(DataType.FLOAT, k, m) : Nd4j.rand(DataType.FLOAT, m, k);
                        INDArray b = tb ? Nd4j.rand(DataType.FLOAT, n, k) : Nd4j.rand(DataType.FLOAT, k, n);
                        INDArray c0 = Nd4j.rand(DataType.FLOAT, m, n);
                        INDArray ours = c0.dup();
                        INDArray theirs = c0.dup();
                        GemmRoute.run(route, () -> Gemm.gemm(a, b, ours, ta, tb, ab[0], ab[1]));
                        GemmRoute.run(route, () -> Nd4j.gemm(a, b, theirs, ta, tb, ab[0], ab[1]));
                        String what = route + (ta ? " Aᵀ" : " A") + (tb ? "·Bᵀ" : "·B") + " α=" + ab[0] + " β=" + ab[1];
                        assertArrayEquals(theirs.data().asFloat(), ours.data().asFloat(), what + ": bits");
                        assertNearScalar(a.data().asFloat(), b.data().asFloat(), c0.data().asFloat(),
                                ours.data().asFloat(), m, k, n, ta, tb, ab[0], ab[1], 1e-5, what);
                    }
                }
            }
        }
    }

    /**
     * Products on oneDNN's matmul called directly (the second product of each shape; the first
     * is the bits check against ND4J's op): the same raw bits as Nd4j.gemm and a scalar loop's
     * values, for the transposes and β the training ops use, views as inputs and output, and
     * one to 1024 rows; on ND4J's avx2 and avx512 builds every shape here runs that way (on AVX-512
     * a shape whose bits from oneDNN's default brgemm kernel differ runs on its gemm:jit, which
     * gives the op's: the primitive it then runs is gemm:jit).
     */
    @Test
    void directProductsGiveTheOpsBits() {
        // measured on ND4J's avx2 build (sessions 38–44) and avx512 build (session 47); elsewhere a shape
        // whose bits differ may stay on the op (the bits still match)
        boolean measured = Backend.info().variant().equals("avx2") || Backend.info().variant().equals("avx512");
        int[][] shapes = {{1, 384, 384}, {8, 384, 1536}, {33, 1536, 384}, {1024, 384, 384}, {5, 7, 3}};
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (double beta : new double[] {0, 1}) {
                        int m = s[0];
                        int k = s[1];
                        int n = s[2];
                        // a is a block of rows of a bigger array (an offset); c is one too
                        INDArray bigA = Nd4j.rand(DataType.FLOAT, (ta ? k : m) + 3, ta ? m : k).subi(0.5);
                        INDArray a = bigA.get(NDArrayIndex.interval(2, 2 + (ta ? k : m)), NDArrayIndex.all());
                        INDArray b = (tb ? Nd4j.rand(DataType.FLOAT, n, k) : Nd4j.rand(DataType.FLOAT, k, n)).subi(0.5);
                        INDArray bigC = Nd4j.rand(DataType.FLOAT, m + 1, n);
                        INDArray c = bigC.get(NDArrayIndex.interval(1, m + 1), NDArrayIndex.all());
                        String what = m + "×" + k + "·" + k + "×" + n + (ta ? " Aᵀ" : " A") + (tb ? "·Bᵀ" : "·B")
                                + " β=" + beta;
                        for (int call = 0; call < 2; call++) {
                            INDArray c0 = c.dup();
                            INDArray theirs = c0.dup();
                            Gemm.gemm(a, b, c, ta, tb, 1.0, beta);
                            Nd4j.gemm(a, b, theirs, ta, tb, 1.0, beta);
                            INDArray got = c.dup();
                            assertArrayEquals(rawBits(theirs), rawBits(got), what + " call " + call + ": bits");
                            if (call == 1) {
                                assertNearScalar(a.dup().data().asFloat(), b.data().asFloat(), c0.data().asFloat(),
                                        got.data().asFloat(), m, k, n, ta, tb, 1.0, beta, 1e-5 * Math.sqrt(k), what);
                            }
                            c.assign(c0);
                        }
                        DnnlMatmul.Key key = DnnlMatmul.key(a, b, c, ta, tb, 1.0, beta);
                        assertTrue(key != null, what + ": a product the direct call takes");
                        if (measured) {
                            assertEquals(Boolean.TRUE, DnnlMatmul.sameBits(key), what + ": runs on the direct call");
                        }
                        if (DnnlMatmul.runsOnGemmJit(key)) {
                            assertTrue(DnnlMatmul.implementation(key).startsWith("gemm:jit"),
                                    what + ": on gemm:jit, got " + DnnlMatmul.implementation(key));
                        }
                    }
                }
            }
        }
    }

    /**
     * Inside a {@link Team}'s scope a product of at least two row groups' rows is cut into them,
     * each group's shape checked against ND4J's op as a product of its own: the result is the
     * scalar product's within float32 rounding, the same bits whether or not the scope leads the
     * team (the cut depends on the shape alone), and a group of A's rows runs on the direct call.
     */
    @Test
    void aTeamScopeCutsProductsIntoRowGroups() throws Throwable {
        org.junit.jupiter.api.Assumptions.assumeTrue(Team.threads() > 1, "one thread: no team");
        boolean measured = Backend.info().variant().equals("avx2") || Backend.info().variant().equals("avx512");
        int[][] shapes = {{33, 1536, 384}, {64, 384, 1536}, {1024, 384, 384}, {40, 7, 3}};
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (double beta : new double[] {0, 1}) {
                        int m = s[0];
                        int k = s[1];
                        int n = s[2];
                        INDArray a = (ta ? Nd4j.rand(DataType.FLOAT, k, m) : Nd4j.rand(DataType.FLOAT, m, k)).subi(0.5);
                        INDArray b = (tb ? Nd4j.rand(DataType.FLOAT, n, k) : Nd4j.rand(DataType.FLOAT, k, n)).subi(0.5);
                        INDArray c0 = Nd4j.rand(DataType.FLOAT, m, n);
                        String what = m + "×" + k + "·" + k + "×" + n + (ta ? " Aᵀ" : " A") + (tb ? "·Bᵀ" : "·B")
                                + " β=" + beta;
                        INDArray led = c0.dup();
                        try (Team.Scope scope = Team.enter()) {
                            assertTrue(scope.leads(), what);
                            Gemm.gemm(a, b, led, ta, tb, 1.0, beta);
                            Gemm.gemm(a, b, led.assign(c0), ta, tb, 1.0, beta); // again, past the first-use check
                        }
                        assertNearScalar(a.dup().data().asFloat(), b.dup().data().asFloat(), c0.data().asFloat(),
                                led.data().asFloat(), m, k, n, ta, tb, 1.0, beta, 1e-5 * Math.sqrt(k), what);
                        INDArray alone = c0.dup();
                        AnotherLeader.whileLeading(() -> {
                            try (Team.Scope scope = Team.enter()) {
                                assertTrue(!scope.leads() && Team.inScope(), what);
                                Gemm.gemm(a, b, alone, ta, tb, 1.0, beta);
                            }
                        });
                        assertArrayEquals(rawBits(led), rawBits(alone), what + ": led and not led");
                        if (measured && m >= 32 && !ta) { // (a group of Aᵀ's columns is a strided view: ND4J's op may copy it first)
                            DnnlMatmul.Key key = DnnlMatmul.key(a, b, c0, ta, tb, 1.0, beta);
                            assertEquals(Boolean.TRUE, DnnlMatmul.sameBits(key.withRows(m / 2, 1)),
                                    what + ": the first row group runs on the direct call");
                        }
                    }
                }
            }
        }
    }

    /**
     * More shapes than a thread keeps primitives for (the least recently used are freed and made
     * again), from four threads at once: every product the same bits as Nd4j.gemm.
     */
    @Test
    void manyShapesFromSeveralThreads() throws Exception {
        int shapes = DnnlMatmul.SHAPES_KEPT + 6;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    java.util.Random random = new java.util.Random(seed);
                    for (int pass = 0; pass < 2; pass++) {
                        for (int m = 1; m <= shapes; m++) {
                            INDArray a = Nd4j.create(randomFloats(random, m * 24), new long[] {m, 24}, 'c');
                            INDArray b = Nd4j.create(randomFloats(random, 24 * 16), new long[] {24, 16}, 'c');
                            INDArray ours = Nd4j.create(DataType.FLOAT, m, 16);
                            INDArray theirs = Nd4j.create(DataType.FLOAT, m, 16);
                            Gemm.gemm(a, b, ours, false, false, 1.0, 0.0);
                            Nd4j.gemm(a, b, theirs, false, false, 1.0, 0.0);
                            if (!java.util.Arrays.equals(rawBits(theirs), rawBits(ours))) {
                                return "thread " + seed + " pass " + pass + ": " + m + " rows differ";
                            }
                        }
                    }
                    return "";
                }));
            }
            for (java.util.concurrent.Future<String> r : results) {
                assertEquals("", r.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    private static float[] randomFloats(java.util.Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextFloat() - 0.5f;
        }
        return x;
    }

    private static int[] rawBits(INDArray x) {
        float[] f = x.data().asFloat();
        int[] bits = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            bits[i] = Float.floatToRawIntBits(f[i]);
        }
        return bits;
    }

    /** A product the direct call does not take (double, α ≠ 1) goes through ND4J's op unchanged. */
    @Test
    void productsTheDirectCallDoesNotTakeGoThroughTheOp() {
        INDArray a = Nd4j.rand(DataType.DOUBLE, 6, 5);
        INDArray b = Nd4j.rand(DataType.DOUBLE, 5, 4);
        assertEquals(null, DnnlMatmul.key(a, b, Nd4j.create(DataType.DOUBLE, 6, 4), false, false, 1.0, 0.0));
        INDArray af = a.castTo(DataType.FLOAT);
        INDArray bf = b.castTo(DataType.FLOAT);
        INDArray c = Nd4j.create(DataType.FLOAT, 6, 4);
        assertEquals(null, DnnlMatmul.key(af, bf, c, false, false, 0.5, 0.0));
        INDArray theirs = Nd4j.create(DataType.FLOAT, 6, 4);
        Gemm.gemm(af, bf, c, false, false, 0.5, 0.0);
        Nd4j.gemm(af, bf, theirs, false, false, 0.5, 0.0);
        assertArrayEquals(theirs.data().asFloat(), c.data().asFloat());
    }

    /** got = α·op(a)·op(b) + β·c against a float64 scalar loop, within {@code relative}·max(1, |want|). */
    private static void assertNearScalar(float[] av, float[] bv, float[] cv, float[] got, int m, int k, int n,
                                         boolean ta, boolean tb, double alpha, double beta, double relative,
                                         String what) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) (ta ? av[p * m + i] : av[i * k + p]) * (tb ? bv[j * k + p] : bv[p * n + j]);
                }
                double want = alpha * s + beta * cv[i * n + j];
                assertEquals(want, got[i * n + j], relative * Math.max(1, Math.abs(want)), what + " at " + i + "," + j);
            }
        }
    }

    /** The regression: Nd4j.gemm leaves each array referenced by a dead context until a collection. */
    @Test
    void leavesNoReferenceToItsArraysBehind() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 64, 32);
        INDArray b = Nd4j.rand(DataType.FLOAT, 32, 16);
        INDArray c = Nd4j.create(DataType.FLOAT, 64, 16);
        var ex = Nd4j.getExecutioner();
        Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        assertTrue(ex.useCount(c.data()) > 1, "Nd4j.gemm's context still holds c (use count " + ex.useCount(c.data())
                + "); if ND4J fixed this, Gemm is no longer needed");
        INDArray a2 = a.dup();
        INDArray b2 = b.dup();
        INDArray c2 = Nd4j.create(DataType.FLOAT, 64, 16);
        INDArray d = Nd4j.create(DataType.FLOAT, 32, 16);
        for (int i = 0; i < 3; i++) {
            Gemm.gemm(a2, b2, c2, false, false, 1.0, 0.0);
            Gemm.gemm(a2, c2, d, true, false, 1.0, 0.0);
        }
        assertEquals(1, ex.useCount(a2.data()), "a");
        assertEquals(1, ex.useCount(b2.data()), "b");
        assertEquals(1, ex.useCount(c2.data()), "c");
        assertEquals(1, ex.useCount(d.data()), "d");
    }

    @Test
    void aViewAsOutputIsRefused() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray b = Nd4j.rand(DataType.FLOAT, 3, 2);
        INDArray wide = Nd4j.create(DataType.FLOAT, 4, 4);
        INDArray view = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(a, b, view, false, false, 1.0, 0.0));
        assertTrue(e.getMessage().contains("view"), e.getMessage());
    }
}
