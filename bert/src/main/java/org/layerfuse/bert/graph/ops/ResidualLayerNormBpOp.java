package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of {@link LayerNormOp} over (x + b) + r: inputs x, γ, dy, r, b; outputs dx, dγ, dβ,
 * dr (= dx) and db = Σ_rows dx (the blocks and bits of {@link DenseBpOp}'s bias gradient, which
 * summed the same array before the bias moved into the layer norm). dr is an array of its own,
 * not dx handed out twice: SameDiff releases a gradient array when the variable it belongs to is
 * done with it, and one array under two variables went back to the session's memory while the
 * other still read it.
 */
public final class ResidualLayerNormBpOp extends JavaOp {

    static {
        JavaOps.register(new ResidualLayerNormBpOp());
    }

    public ResidualLayerNormBpOp() {
    }

    ResidualLayerNormBpOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable dy, SDVariable residual,
                          SDVariable bias, double eps) {
        super(sd, x, gamma, dy, residual, bias);
        addTArgument(eps);
    }

    @Override
    public String opName() {
        return "layerfuse_residual_layer_norm_bp";
    }

    @Override
    public int getNumOutputs() {
        return 5;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], in[1], in[1], in[0], in[4]};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        LayerNormBpOp.gradients(in, out, tArgs()[0]); // dr (= dx) written with dx, row by row, then db
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of layer norm are not implemented");
    }
}
