package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention's three input projections of one {@code [rows, in]} input in one op:
 * x·Wq, x·Wk, x·Wv, each as {@link DenseOp} computes its product (same products, same bits); the
 * biases bq, bk, bv are added by {@link AttentionOp} as it reads Q, K and V (and again by its
 * gradient), so no bias pass is made here. Inputs x, Wq, Wk, Wv; outputs the three products.
 *
 * <p>One op instead of three because of the gradient ({@link ProjectionsBpOp}): x feeds all
 * three products, so with three dense ops SameDiff sums their three input gradients with two
 * more ops over {@code [rows, in]} arrays; here the second and third products add into the
 * first's output (β = 1), and a block has four ops fewer to schedule.
 */
public final class ProjectionsOp extends JavaOp {

    static {
        JavaOps.register(new ProjectionsOp());
    }

    public ProjectionsOp() {
    }

    public ProjectionsOp(SameDiff sd, SDVariable x, SDVariable wq, SDVariable wk, SDVariable wv) {
        super(sd, x, wq, wk, wv);
    }

    @Override
    public String opName() {
        return "layerfuse_projections";
    }

    @Override
    public int getNumOutputs() {
        return 3;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{{in[0][0], in[1][1]}, {in[0][0], in[2][1]}, {in[0][0], in[3][1]}};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        for (int p = 0; p < 3; p++) {
            DenseOp.affine(in[0], in[1 + p], null, out[p]);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable[] g = new ProjectionsBpOp(sameDiff, arg(0), arg(1), arg(2), arg(3), grads.get(0), grads.get(1),
                grads.get(2)).outputVariables();
        return List.of(g);
    }
}
