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
                        float[] av = a.data().asFloat();
                        float[] bv = b.data().asFloat();
                        float[] cv = c0.data().asFloat();
                        float[] got = ours.data().asFloat();
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double s = 0;
                                for (int p = 0; p < k; p++) {
                                    s += (double) (ta ? av[p * m + i] : av[i * k + p]) * (tb ? bv[j * k + p] : bv[p * n + j]);
                                }
                                double want = ab[0] * s + ab[1] * cv[i * n + j];
                                assertEquals(want, got[i * n + j], 1e-5 * Math.max(1, Math.abs(want)), what + " at " + i + "," + j);
                            }
                        }
                    }
                }
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
