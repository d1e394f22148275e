package org.layerfuse.engine.javaop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A Java op in a SameDiff graph: forward and gradient against the same graph written with libnd4j ops. */
class JavaOpsTest {

    /** y = x + b (b broadcast over rows), with a Java gradient op. */
    public static final class RowBias extends JavaOp {
        static {
            JavaOps.register(new RowBias());
        }

        public RowBias() {
        }

        RowBias(SameDiff sd, SDVariable x, SDVariable b) {
            super(sd, x, b);
        }

        @Override
        public String opName() {
            return "test_row_bias";
        }

        @Override
        protected void compute(INDArray[] in, INDArray[] out) {
            out[0].assign(in[0].addRowVector(in[1]));
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            SDVariable[] g = new RowBiasGrad(sameDiff, grads.get(0)).outputVariables();
            return List.of(g[0], g[1]);
        }
    }

    /** dx = dy, db = Σ_rows dy. */
    public static final class RowBiasGrad extends JavaOp {
        static {
            JavaOps.register(new RowBiasGrad());
        }

        public RowBiasGrad() {
        }

        RowBiasGrad(SameDiff sd, SDVariable dy) {
            super(sd, dy);
        }

        @Override
        public String opName() {
            return "test_row_bias_bp";
        }

        @Override
        public int getNumOutputs() {
            return 2;
        }

        @Override
        protected long[][] outputShapes(long[][] in) {
            return new long[][]{in[0], {in[0][1]}};
        }

        @Override
        protected void compute(INDArray[] in, INDArray[] out) {
            out[0].assign(in[0]);
            double[][] dy = in[0].toDoubleMatrix();
            double[] db = new double[dy[0].length];
            for (double[] row : dy) {
                for (int j = 0; j < row.length; j++) {
                    db[j] += row[j];
                }
            }
            out[1].assign(Nd4j.createFromArray(db).castTo(out[1].dataType()));
        }
    }

    @BeforeAll
    static void start() {
        Backend.init();
        assertTrue(JavaOps.available(), "the CPU backend routes Java ops");
    }

    @Test
    void javaOpForwardAndGradientMatchLibnd4jOps() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 5, 3);
        INDArray b = Nd4j.rand(DataType.DOUBLE, 3);
        INDArray w = Nd4j.rand(DataType.DOUBLE, 5, 3);

        Map<String, INDArray> java = gradients(x, b, w, true);
        Map<String, INDArray> nd4j = gradients(x, b, w, false);
        for (String name : List.of("y", "x", "b")) {
            assertArrayEquals(nd4j.get(name).data().asDouble(), java.get(name).data().asDouble(), 1e-14, name);
        }
    }

    private static Map<String, INDArray> gradients(INDArray x0, INDArray b0, INDArray w, boolean javaOp) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", x0.dup());
        SDVariable b = sd.var("b", b0.dup());
        SDVariable y = javaOp ? new RowBias(sd, x, b).outputVariable() : x.add(b);
        y = sd.identity("y", y);
        SDVariable loss = sd.math().square(y).mul(sd.constant(w)).sum("loss");
        sd.setLossVariables(loss);
        Map<String, INDArray> out = new java.util.HashMap<>(sd.calculateGradients(Map.of(), "x", "b"));
        out.put("y", sd.outputSingle(Map.of(), "y"));
        return out;
    }
}
