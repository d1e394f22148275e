package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training loss α·CE + (1 − α)·T²·KL(softmax(z_t/T) ‖ softmax(z/T)) in one op ({@link KdLoss}):
 * inputs the logits z {@code [B, C]}, the labels y {@code [B, C]} (one-hot), the teacher's
 * logits z_t {@code [B, C]}, α and T (scalars); output the scalar loss. Written out with ND4J
 * ops it was some forty graph ops on {@code [B, C]} arrays and their gradients, each costing
 * more to launch than its arithmetic. Gradient {@link KdLossBpOp} (with respect to the logits;
 * the other inputs are placeholders and get zeros).
 */
public final class KdLossOp extends JavaOp {

    static {
        JavaOps.register(new KdLossOp());
    }

    public KdLossOp() {
    }

    public KdLossOp(SameDiff sd, SDVariable logits, SDVariable labels, SDVariable teacher, SDVariable alpha,
                    SDVariable temperature) {
        super(sd, logits, labels, teacher, alpha, temperature);
    }

    @Override
    public String opName() {
        return "layerfuse_kd_loss";
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{{}};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        Inputs x = Inputs.of(in);
        Ops.assign(out[0], new double[] {KdLoss.loss(x.z, x.y, x.teacher, x.rows, x.classes, x.alpha, x.t)});
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable dz = new KdLossBpOp(sameDiff, arg(0), arg(1), arg(2), arg(3), arg(4), grads.get(0)).outputVariable();
        return List.of(dz, sameDiff.zerosLike(arg(1)), sameDiff.zerosLike(arg(2)), sameDiff.zerosLike(arg(3)),
                sameDiff.zerosLike(arg(4)));
    }

    /** The op's inputs as doubles, their shapes checked. */
    record Inputs(double[] z, double[] y, double[] teacher, int rows, int classes, double alpha, double t) {
        static Inputs of(INDArray[] in) {
            INDArray logits = in[0];
            if (logits.rank() != 2) {
                throw new IllegalArgumentException("loss: logits must be [batch, classes], got "
                        + java.util.Arrays.toString(logits.shape()));
            }
            for (int i = 1; i <= 2; i++) {
                if (!java.util.Arrays.equals(in[i].shape(), logits.shape())) {
                    throw new IllegalArgumentException("loss: " + (i == 1 ? "labels" : "teacher logits") + " "
                            + java.util.Arrays.toString(in[i].shape()) + " do not match the logits "
                            + java.util.Arrays.toString(logits.shape()));
                }
            }
            for (int i = 3; i <= 4; i++) {
                if (in[i].length() != 1) {
                    throw new IllegalArgumentException("loss: " + (i == 3 ? "alpha" : "temperature")
                            + " must be a scalar, got " + java.util.Arrays.toString(in[i].shape()));
                }
            }
            return new Inputs(Ops.doubles(logits), Ops.doubles(in[1]), Ops.doubles(in[2]), (int) logits.rows(),
                    (int) logits.columns(), in[3].getDouble(0), in[4].getDouble(0));
        }
    }
}
