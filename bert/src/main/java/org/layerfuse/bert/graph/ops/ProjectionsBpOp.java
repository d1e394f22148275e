package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of {@link ProjectionsOp}: inputs x, Wq, Wk, Wv, dQ, dK, dV; outputs, in the order
 * of the forward's inputs, dx = dQ·Wqᵀ + dK·Wkᵀ + dV·Wvᵀ, dWq = xᵀ·dQ, dWk, dWv (the biases'
 * gradients are {@link AttentionBpOp}'s). dx is one product and two more accumulated into it (β = 1), so nothing sums
 * three {@code [rows, in]} arrays afterwards; the transposes are the products' flags.
 */
public final class ProjectionsBpOp extends JavaOp {

    static {
        JavaOps.register(new ProjectionsBpOp());
    }

    public ProjectionsBpOp() {
    }

    ProjectionsBpOp(SameDiff sd, SDVariable x, SDVariable wq, SDVariable wk, SDVariable wv, SDVariable dq,
                    SDVariable dk, SDVariable dv) {
        super(sd, x, wq, wk, wv, dq, dk, dv);
    }

    @Override
    public String opName() {
        return "layerfuse_projections_bp";
    }

    @Override
    public int getNumOutputs() {
        return 4;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], in[1], in[2], in[3]};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        for (int p = 0; p < 3; p++) { // dx: the first product writes it, the other two add to it
            DenseBpOp.gradients(in[0], in[1 + p], in[4 + p], out[0], p == 0 ? 0.0 : 1.0, out[1 + p], null);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of the attention projections are not implemented");
    }
}
