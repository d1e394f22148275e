package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient of {@link KdLossOp} with respect to the logits: inputs as its, then dL (a scalar). */
public final class KdLossBpOp extends JavaOp {

    static {
        JavaOps.register(new KdLossBpOp());
    }

    public KdLossBpOp() {
    }

    KdLossBpOp(SameDiff sd, SDVariable logits, SDVariable labels, SDVariable teacher, SDVariable alpha,
               SDVariable temperature, SDVariable dLoss) {
        super(sd, logits, labels, teacher, alpha, temperature, dLoss);
    }

    @Override
    public String opName() {
        return "layerfuse_kd_loss_bp";
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0]};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        KdLossOp.Inputs x = KdLossOp.Inputs.of(in);
        if (in[5].length() != 1) {
            throw new IllegalArgumentException("loss gradient: dL must be a scalar, got "
                    + java.util.Arrays.toString(in[5].shape()));
        }
        Ops.assign(out[0], KdLoss.gradient(x.z(), x.y(), x.teacher(), x.rows(), x.classes(), x.alpha(), x.t(),
                in[5].getDouble(0)));
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of the loss are not implemented");
    }
}
