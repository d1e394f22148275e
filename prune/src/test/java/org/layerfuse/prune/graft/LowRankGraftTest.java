package org.layerfuse.prune.graft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LowRankGraftTest {

    @Test
    void initialFactorsAreZeroAndBoundedUniform() {
        BertModel model = GraftFixtures.random(1, DataType.FLOAT);
        LowRankGraft g = LowRankGraft.initial(model, ParamNames.LayerMatrix.INTERMEDIATE, 2, 1, 128,
                new SplittableRandom(3));
        assertEquals(8, g.rank(), "r capped by min(in, out) = min(8, 16)");
        assertEquals(0.0, g.a().amaxNumber().doubleValue(), 0.0, "A starts at 0");
        double bound = Math.sqrt(1.0 / 8);
        assertTrue(g.b().amaxNumber().doubleValue() <= bound, "B within ±√(1/r)");
        assertTrue(g.b().amaxNumber().doubleValue() > bound / 2, "B is not degenerate");
        assertEquals(ParamNames.LayerMatrix.INTERMEDIATE.kernel(2), g.target());
        assertEquals(ParamNames.LayerMatrix.INTERMEDIATE.kernel(1), g.source());
        assertThrows(IllegalArgumentException.class, () -> LowRankGraft.rank(0, 4, 4));
    }

    @Test
    void foldedWeightsEqualTheFormulaComputedElementByElement() {
        BertModel model = GraftFixtures.random(2, DataType.DOUBLE);
        for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
            long[] shape = m.kernelShape(model.config());
            int rank = 3;
            INDArray a = Nd4j.rand(DataType.DOUBLE, shape[0], rank).subi(0.5);
            INDArray b = Nd4j.rand(DataType.DOUBLE, shape[1], rank).subi(0.5);
            LowRankGraft g = new LowRankGraft(m.kernel(0), m.kernel(1), a, b);
            double[][] w = model.parameter(m.kernel(0)).toDoubleMatrix();
            double[][] wp = model.parameter(m.kernel(1)).toDoubleMatrix();
            double[][] av = a.toDoubleMatrix();
            double[][] bv = b.toDoubleMatrix();
            g.foldInto(model);
            double[][] folded = model.parameter(m.kernel(0)).toDoubleMatrix();
            for (int i = 0; i < shape[0]; i++) {
                for (int j = 0; j < shape[1]; j++) {
                    double c = 0;
                    for (int k = 0; k < rank; k++) {
                        c += av[i][k] * bv[j][k];
                    }
                    assertEquals(w[i][j] + c * wp[i][j], folded[i][j], 1e-14, m + " [" + i + "," + j + "]");
                }
            }
        }
    }

    @Test
    void staticFusionAddsHalfTheRemovedMatricesToTheWindowOnly() {
        BertModel model = GraftFixtures.random(3, DataType.DOUBLE);
        Map<String, double[][]> before = new java.util.HashMap<>();
        model.allParameters().forEach((n, a) -> before.put(n, a.rank() == 2 ? a.toDoubleMatrix() : null));
        model.removeLayer(1);
        new StaticGraftHealer(2).heal(model, 1, 1);
        // window of 1 among {0, 2, 3} with G = 2: 0 and 2
        for (int l = 0; l < 4; l++) {
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                double[][] now = model.parameter(m.kernel(l)).toDoubleMatrix();
                double[][] w = before.get(m.kernel(l));
                double[][] wp = before.get(m.kernel(1));
                boolean inWindow = l == 0 || l == 2;
                for (int i = 0; i < w.length; i++) {
                    for (int j = 0; j < w[0].length; j++) {
                        assertEquals(inWindow ? w[i][j] + 0.5 * wp[i][j] : w[i][j], now[i][j], 1e-15,
                                m.kernel(l) + " [" + i + "," + j + "]");
                    }
                }
            }
        }
    }

    @Test
    void staticFusionIsTheLearnableFormWithCoefficientsOneHalf() {
        BertModel a = GraftFixtures.random(4, DataType.DOUBLE);
        BertModel b = a.copy();
        a.removeLayer(2);
        new StaticGraftHealer(1).heal(a, 2, 1); // window {1}
        ParamNames.LayerMatrix m = ParamNames.LayerMatrix.INTERMEDIATE;
        long[] shape = m.kernelShape(b.config());
        double s = Math.sqrt(0.5);
        new LowRankGraft(m.kernel(1), m.kernel(2), Nd4j.valueArrayOf(new long[] {shape[0], 1}, s, DataType.DOUBLE),
                Nd4j.valueArrayOf(new long[] {shape[1], 1}, s, DataType.DOUBLE)).foldInto(b);
        double diff = a.parameter(m.kernel(1)).sub(b.parameter(m.kernel(1))).amaxNumber().doubleValue();
        assertEquals(0.0, diff, 1e-15);
    }
}
