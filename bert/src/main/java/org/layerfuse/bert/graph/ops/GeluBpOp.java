package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of {@link GeluOp}: inputs GELU'(x) (the forward's second output) and dy; output
 * dx = GELU'(x)·dy, one product (float32: {@link NativeGelu#multiply}).
 */
public final class GeluBpOp extends JavaOp {

    static {
        JavaOps.register(new GeluBpOp());
    }

    public GeluBpOp() {
    }

    GeluBpOp(SameDiff sd, SDVariable derivative, SDVariable dy) {
        super(sd, derivative, dy);
    }

    @Override
    public String opName() {
        return "layerfuse_gelu_bp";
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        INDArray d = in[0];
        if (d.length() != in[1].length() || d.length() != out[0].length()) {
            throw new IllegalArgumentException("GELU gradient: derivative " + java.util.Arrays.toString(d.shape())
                    + ", output gradient " + java.util.Arrays.toString(in[1].shape()) + ", input gradient "
                    + java.util.Arrays.toString(out[0].shape()) + " differ in size");
        }
        int cols = (int) d.size(d.rank() - 1);
        int rows = (int) (d.length() / cols);
        if (d.dataType() == DataType.FLOAT) {
            NativeFloats.Span ds = NativeFloats.of(d, "GELU derivative");
            NativeFloats.Span dys = NativeFloats.of(in[1], "GELU output gradient");
            NativeFloats.Span dxs = NativeFloats.of(out[0], "GELU input gradient");
            ParallelRows.each(rows, RowBlocks.minRows(cols), (from, to) -> {
                int at = from * cols;
                NativeGelu.multiply(ds.bytes(), ds.start() + at, dys.bytes(), dys.start() + at, dxs.bytes(),
                        dxs.start() + at, (to - from) * cols);
            });
            java.lang.ref.Reference.reachabilityFence(d);
            java.lang.ref.Reference.reachabilityFence(in[1]);
            java.lang.ref.Reference.reachabilityFence(out[0]);
        } else {
            double[] v = Ops.doubles(d);
            double[] dy = Ops.doubles(in[1]);
            for (int i = 0; i < v.length; i++) {
                v[i] = dy[i] * v[i];
            }
            Ops.assign(out[0], v);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of GELU are not implemented");
    }
}
