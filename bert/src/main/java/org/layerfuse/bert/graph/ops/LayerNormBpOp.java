package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.NativeLayerNorm;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of {@link LayerNormOp}: inputs x, γ, dy and, for a layer norm of (x + b) + r, the
 * residual r and the bias b; outputs dx, dγ, dβ ({@link ResidualLayerNormBpOp} adds dr, a copy of
 * dx, and db). Mean and variance are recomputed from x (or from (x + b) + r, formed again as the
 * forward formed it): cheaper than keeping them. dγ and dβ are summed per block of rows, then the
 * blocks' sums are added in row order: the blocks sit at fixed rows, so any thread count gives
 * the same bits.
 */
public final class LayerNormBpOp extends JavaOp {

    static {
        JavaOps.register(new LayerNormBpOp());
    }

    public LayerNormBpOp() {
    }

    LayerNormBpOp(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable dy, double eps) {
        super(sd, x, gamma, dy);
        addTArgument(eps);
    }

    /** The layer norm's input as doubles in row order: x, or (x + bias) + residual added in x's type. */
    static double[] input(INDArray x, INDArray bias, INDArray residual) {
        if (residual == null && bias == null) {
            return Ops.doubles(x);
        }
        try (INDArray sum = bias == null ? x.dup() : x.addRowVector(bias)) {
            if (residual != null) {
                sum.addi(residual);
            }
            return Ops.doubles(sum);
        }
    }

    @Override
    public String opName() {
        return "layerfuse_layer_norm_bp";
    }

    @Override
    public int getNumOutputs() {
        return 3;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], in[1], in[1]};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        gradients(in, out, tArgs()[0]);
    }

    /**
     * dx, dγ, dβ into out[0..2] from x, γ, dy, the optional residual in[3] and bias in[4]; dx
     * again into out[3] and Σ_rows dx into out[4] when given.
     */
    static void gradients(INDArray[] in, INDArray[] out, double eps) {
        INDArray x = in[0];
        int rows = (int) x.rows();
        int cols = (int) x.columns();
        INDArray residual = in.length > 3 ? in[3] : null;
        INDArray bias = in.length > 4 ? in[4] : null;
        if (x.dataType() == DataType.FLOAT) {
            NativeFloats.Span xs = NativeFloats.of(x, "layer norm input");
            NativeFloats.Span rs = residual == null ? null : NativeFloats.of(residual, "layer norm residual");
            NativeFloats.Span dys = NativeFloats.of(in[2], "layer norm output gradient");
            NativeFloats.Span dxs = NativeFloats.of(out[0], "layer norm input gradient");
            NativeFloats.Span drs = out.length > 3 ? NativeFloats.of(out[3], "layer norm residual gradient") : null;
            float[] gamma = NativeFloats.toArray(in[1]);
            float[] b = bias == null ? null : NativeFloats.toArray(bias);
            RowBlocks.RowOrderedSums sums = new RowBlocks.RowOrderedSums(2, cols); // dγ, dβ per block of rows
            RowBlocks.run(rows, cols, (from, count) -> {
                float[][] part = sums.part(from);
                NativeLayerNorm.backward(xs.bytes(), xs.start() + from * cols, b, rs == null ? null : rs.bytes(),
                        rs == null ? 0 : rs.start() + from * cols, dys.bytes(), dys.start() + from * cols, dxs.bytes(),
                        dxs.start() + from * cols, drs == null ? null : drs.bytes(), drs == null ? 0 : drs.start() + from * cols,
                        count, cols, gamma, (float) eps, part[0], part[1]);
            });
            java.lang.ref.Reference.reachabilityFence(x);
            java.lang.ref.Reference.reachabilityFence(residual);
            java.lang.ref.Reference.reachabilityFence(in[2]);
            java.lang.ref.Reference.reachabilityFence(out[0]);
            if (drs != null) {
                java.lang.ref.Reference.reachabilityFence(out[3]);
            }
            float[][] total = sums.total();
            Ops.assign(out[1], total[0]);
            Ops.assign(out[2], total[1]);
        } else {
            double[] xv = input(x, bias, residual);
            double[] dy = Ops.doubles(in[2]);
            double[] dx = new double[xv.length];
            double[] dGamma = new double[cols];
            double[] dBeta = new double[cols];
            ScalarBackwardKernels.layerNorm(xv, dy, dx, 0, rows, cols, in[1].toDoubleVector(), eps, dGamma, dBeta);
            Ops.assign(out[0], dx);
            Ops.assign(out[1], dGamma);
            Ops.assign(out[2], dBeta);
            if (out.length > 3) {
                Ops.assign(out[3], dx);
            }
        }
        if (out.length > 4) {
            DenseBpOp.biasGradient(out[0], out[4], "layer norm input gradient");
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of layer norm are not implemented");
    }
}
