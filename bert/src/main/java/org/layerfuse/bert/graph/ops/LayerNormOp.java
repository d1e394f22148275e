package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
import org.layerfuse.engine.fused.NativeLayerNorm;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer normalisation over the last axis of {@code [rows, hidden]}: y = (x − μ)/√(σ² + ε)·γ + β
 * (biased variance, ε from the config) in one pass per row; gradient {@link LayerNormBpOp}.
 * Inputs x, γ, β, and optionally a residual r of x's shape and a bias b {@code [hidden]}: then
 * the op normalises (x + b) + r (one float addition each per element, as the dense layer's bias
 * add and a separate residual add would make it) without the sum ever being an array, and a
 * block's two residual adds, the output dense layers' bias passes and their gradient ops are gone
 * (gradient {@link ResidualLayerNormBpOp}).
 */
public final class LayerNormOp extends JavaOp {

    static {
        JavaOps.register(new LayerNormOp());
    }

    public LayerNormOp() {
    }

    public LayerNormOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, double eps) {
        super(sd, x, gamma, beta);
        addTArgument(eps);
    }

    /** Layer norm of (x + bias) + residual. */
    public LayerNormOp(SameDiff sd, SDVariable x, SDVariable bias, SDVariable residual, SDVariable gamma,
                       SDVariable beta, double eps) {
        super(sd, x, gamma, beta, residual, bias);
        addTArgument(eps);
    }

    @Override
    public String opName() {
        return "layerfuse_layer_norm";
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        INDArray x = in[0];
        int rows = (int) x.rows();
        int cols = (int) x.columns();
        double eps = tArgs()[0];
        INDArray residual = in.length > 3 ? in[3] : null;
        INDArray bias = in.length > 4 ? in[4] : null;
        if (x.dataType() == DataType.FLOAT) {
            NativeFloats.Span xs = NativeFloats.of(x, "layer norm input");
            NativeFloats.Span rs = residual == null ? null : NativeFloats.of(residual, "layer norm residual");
            NativeFloats.Span ys = NativeFloats.of(out[0], "layer norm output");
            float[] gamma = NativeFloats.toArray(in[1]);
            float[] beta = NativeFloats.toArray(in[2]);
            float[] b = bias == null ? null : NativeFloats.toArray(bias);
            ParallelRows.each(rows, RowBlocks.minRows(cols), (from, to) -> NativeLayerNorm.forward(xs.bytes(),
                    xs.start() + from * cols, rs == null ? null : rs.bytes(), rs == null ? 0 : rs.start() + from * cols,
                    ys.bytes(), ys.start() + from * cols, to - from, cols, b, gamma, beta, (float) eps));
            java.lang.ref.Reference.reachabilityFence(x);
            java.lang.ref.Reference.reachabilityFence(residual);
            java.lang.ref.Reference.reachabilityFence(out[0]);
        } else {
            double[] xv = LayerNormBpOp.input(x, bias, residual);
            double[] y = new double[xv.length];
            ScalarBackwardKernels.layerNormForward(xv, y, 0, rows, cols, in[1].toDoubleVector(), in[2].toDoubleVector(),
                    eps);
            Ops.assign(out[0], y);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        if (args().length > 3) {
            SDVariable[] g = new ResidualLayerNormBpOp(sameDiff, arg(0), arg(1), grads.get(0), arg(3), arg(4),
                    tArgs()[0]).outputVariables();
            return List.of(g[0], g[1], g[2], g[3], g[4]);
        }
        SDVariable[] g = new LayerNormBpOp(sameDiff, arg(0), arg(1), grads.get(0), tArgs()[0]).outputVariables();
        return List.of(g[0], g[1], g[2]);
    }
}
