package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of a {@link DenseOp} without a bias (y = x·W): inputs x, W, dy; outputs dx = dy·Wᵀ and
 * dW = xᵀ·dy, as {@link DenseBpOp} computes them. The bias's gradient Σ_rows dy is the reading
 * op's (the GELU's, the layer norm's), which holds dy.
 */
public final class ProductBpOp extends JavaOp {

    static {
        JavaOps.register(new ProductBpOp());
    }

    public ProductBpOp() {
    }

    ProductBpOp(SameDiff sd, SDVariable x, SDVariable kernel, SDVariable dy) {
        super(sd, x, kernel, dy);
    }

    @Override
    public String opName() {
        return "layerfuse_product_bp";
    }

    @Override
    public int getNumOutputs() {
        return 2;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], in[1]};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        DenseBpOp.gradients(in[0], in[1], in[2], out[0], 0.0, out[1], null);
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of a matrix product are not implemented");
    }
}
