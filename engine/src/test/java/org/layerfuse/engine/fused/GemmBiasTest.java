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

/**
 * {@link Gemm#gemmBias}: a·b + bias with the bias added in oneDNN's product (the direct call)
 * has the raw bits of ND4J's op followed by ND4J's row-vector add, and of the same call with
 * the direct path off; a float64 loop's values; both routes; bad biases named.
 */
class GemmBiasTest {

    @BeforeAll
    static void backend() {
        Backend.init();
    }

    @Test
    void biasInTheProductHasTheBitsOfTheProductThenTheAdd() {
        boolean measured = Backend.info().variant().equals("avx2") || Backend.info().variant().equals("avx512");
        int[][] shapes = {{1, 384, 384}, {32, 384, 1152}, {1024, 384, 384}, {7, 5, 3}};
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            INDArray bigA = Nd4j.rand(DataType.FLOAT, m + 2, k).subi(0.5);
            INDArray a = bigA.get(NDArrayIndex.interval(2, m + 2), NDArrayIndex.all()); // rows at an offset
            INDArray b = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
            INDArray bias = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
            String what = m + "×" + k + "·" + k + "×" + n;
            INDArray want = Nd4j.create(DataType.FLOAT, m, n);
            Nd4j.gemm(a, b, want, false, false, 1.0, 0.0);
            want.addiRowVector(bias);
            for (int call = 0; call < 2; call++) { // the first call checks the bits against the op
                INDArray got = Nd4j.rand(DataType.FLOAT, m, n);
                Gemm.gemmBias(a, b, bias, got);
                assertArrayEquals(want.data().asInt(), got.data().asInt(), what + " call " + call + ": bits");
            }
            DnnlMatmul.Key key = DnnlMatmul.key(a, b, want, false, false, 1.0, 0.0).withBias();
            if (measured) {
                assertEquals(Boolean.TRUE, DnnlMatmul.sameBits(key), what + ": the bias runs in oneDNN's product");
            }
            Gemm.useDirect(false);
            try {
                INDArray off = Nd4j.create(DataType.FLOAT, m, n);
                Gemm.gemmBias(a, b, bias, off);
                assertArrayEquals(want.data().asInt(), off.data().asInt(), what + ", direct call off: bits");
            } finally {
                Gemm.useDirect(null);
            }
            float[] av = a.dup().data().asFloat();
            float[] bv = b.data().asFloat();
            float[] cv = want.data().asFloat();
            for (int i = 0; i < m; i += Math.max(1, m / 7)) {
                for (int j = 0; j < n; j++) {
                    double sum = bias.getDouble(j);
                    for (int p = 0; p < k; p++) {
                        sum += (double) av[i * k + p] * bv[p * n + j];
                    }
                    assertEquals(sum, cv[i * n + j], 1e-5 * Math.sqrt(k) * Math.max(1, Math.abs(sum)),
                            what + " at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void eitherRouteAddsTheBias() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 9, 6);
        INDArray b = Nd4j.rand(DataType.FLOAT, 6, 4);
        INDArray bias = Nd4j.create(new float[] {1, -2, 3, 0.5f}, 4);
        for (GemmRoute.Route route : GemmRoute.Route.values()) {
            INDArray got = Nd4j.create(DataType.FLOAT, 9, 4);
            INDArray plain = Nd4j.create(DataType.FLOAT, 9, 4);
            GemmRoute.run(route, () -> Gemm.gemmBias(a, b, bias, got));
            GemmRoute.run(route, () -> Gemm.gemm(a, b, plain, false, false, 1.0, 0.0));
            assertArrayEquals(plain.addiRowVector(bias).data().asInt(), got.data().asInt(), route + ": bits");
        }
    }

    @Test
    void aBiasOfAnotherWidthOrTypeIsNamed() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 3, 6);
        INDArray b = Nd4j.rand(DataType.FLOAT, 6, 4);
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemmBias(a, b, Nd4j.create(DataType.FLOAT, 5), Nd4j.create(DataType.FLOAT, 3, 4)));
        assertTrue(width.getMessage().contains("bias") && width.getMessage().contains("row of 4"), width.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemmBias(a, b, Nd4j.create(DataType.DOUBLE, 4), Nd4j.create(DataType.FLOAT, 3, 4)));
        assertTrue(type.getMessage().contains("DOUBLE"), type.getMessage());
    }
}
