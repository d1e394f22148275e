package org.layerfuse.bert.graph.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layerfuse.bert.graph.GradientCalls;
import org.layerfuse.bert.graph.Graphs;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The three attention projections as one op (the products: the attention op adds their biases),
 * and their gradient, against scalar loops in double: loss = Σ Q∘Cq + Σ K∘Ck + Σ V∘Cv for fixed
 * C, so ∂loss/∂Q = Cq and the gradients are dx = Cq·Wqᵀ + Ck·Wkᵀ + Cv·Wvᵀ, dW = xᵀ·C.
 */
class ProjectionsOpTest {

    private static final int ROWS = 37;
    private static final int IN = 24;
    private static final int[] OUT = {24, 16, 8};
    private static final String[] NAMES = {"q", "k", "v"};

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void outputsAndGradientsMatchScalarLoops(DataType type) {
        Backend.init();
        assertTrue(JavaOps.available(), "the Java ops are installed");
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(type, ROWS, IN).subi(0.5);
        INDArray[] w = new INDArray[3];
        INDArray[] c = new INDArray[3];
        for (int p = 0; p < 3; p++) {
            w[p] = Nd4j.rand(type, IN, OUT[p]).subi(0.5);
            c[p] = Nd4j.rand(type, ROWS, OUT[p]).subi(0.5);
        }
        SameDiff sd = Graphs.create();
        SDVariable in = sd.placeHolder("x", type, -1, IN);
        SDVariable[] vars = new SDVariable[4];
        vars[0] = in;
        for (int p = 0; p < 3; p++) {
            vars[1 + p] = sd.var("w" + NAMES[p], w[p]);
        }
        SDVariable[] qkv = new ProjectionsOp(sd, vars[0], vars[1], vars[2], vars[3]).outputVariables();
        SDVariable loss = null;
        for (int p = 0; p < 3; p++) {
            qkv[p].rename(NAMES[p]);
            SDVariable term = qkv[p].mul(sd.constant("c" + NAMES[p], c[p])).sum();
            loss = loss == null ? term : loss.add(term);
        }
        loss.rename("loss").markAsLoss();
        OutAndGrad r = GradientCalls.outputsAndGradients(sd, Map.of("x", x), List.of("q", "k", "v", "loss"),
                List.of("x", "wq", "wk", "wv"));
        double tol = type == DataType.FLOAT ? 1e-5 : 1e-12;

        double[][] xs = x.toDoubleMatrix();
        double[][] dx = new double[ROWS][IN];
        for (int p = 0; p < 3; p++) {
            double[][] ws = w[p].toDoubleMatrix();
            double[][] cs = c[p].toDoubleMatrix();
            double[][] y = new double[ROWS][OUT[p]];
            double[][] dw = new double[IN][OUT[p]];
            for (int i = 0; i < ROWS; i++) {
                for (int o = 0; o < OUT[p]; o++) {
                    double s = 0;
                    for (int k = 0; k < IN; k++) {
                        s += xs[i][k] * ws[k][o];
                        dx[i][k] += cs[i][o] * ws[k][o];
                        dw[k][o] += xs[i][k] * cs[i][o];
                    }
                    y[i][o] = s;
                }
            }
            assertClose(y, r.getOutputs().get(NAMES[p]).toDoubleMatrix(), tol, NAMES[p]);
            assertClose(dw, r.getGradients().get("w" + NAMES[p]).toDoubleMatrix(), tol, "dW" + NAMES[p]);
        }
        assertClose(dx, r.getGradients().get("x").toDoubleMatrix(), tol, "dx (three products summed)");
    }

    @Test
    void theGradientGraphSumsNoProjectionGradients() {
        Backend.init();
        assertTrue(JavaOps.available(), "the Java ops are installed");
        SameDiff sd = Graphs.create();
        SDVariable in = sd.placeHolder("x", DataType.FLOAT, -1, 4);
        SDVariable[] v = new SDVariable[4];
        v[0] = in;
        for (int i = 1; i < 4; i++) {
            v[i] = sd.var("p" + i, Nd4j.rand(DataType.FLOAT, 4, 4));
        }
        SDVariable[] qkv = new ProjectionsOp(sd, v[0], v[1], v[2], v[3]).outputVariables();
        qkv[0].mul(qkv[1]).mul(qkv[2]).sum("loss").markAsLoss();
        GradientCalls.outputsAndGradients(sd, Map.of("x", Nd4j.rand(DataType.FLOAT, 3, 4)), List.of("loss"),
                List.of("x"));
        Map<String, Integer> ops = new java.util.TreeMap<>();
        sd.getFunction("grad").getOps().values().forEach(o -> ops.merge(o.getOp().opName(), 1, Integer::sum));
        assertEquals(1, ops.get("layerfuse_projections_bp"), ops.toString());
        assertEquals(null, ops.get("add"), "dx is accumulated inside the gradient op: " + ops);
    }

    private static void assertClose(double[][] expected, double[][] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " rows");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, actual[i].length, what + " columns");
            for (int j = 0; j < expected[i].length; j++) {
                double scale = Math.max(1, Math.abs(expected[i][j]));
                assertTrue(Math.abs(actual[i][j] - expected[i][j]) <= tol * scale,
                        what + "[" + i + "][" + j + "]: expected " + expected[i][j] + ", got " + actual[i][j]);
            }
        }
    }
}
