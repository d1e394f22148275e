package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient of {@link GeluOp}: inputs x, dy; output dx = dy·GELU'(x) in the same form. */
public final class GeluBpOp extends JavaOp {

    static {
        JavaOps.register(new GeluBpOp());
    }

    public GeluBpOp() {
    }

    GeluBpOp(SameDiff sd, SDVariable x, SDVariable dy, long form) {
        super(sd, x, dy);
        addIArgument(form);
    }

    @Override
    public String opName() {
        return "layerfuse_gelu_bp";
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        INDArray x = in[0];
        boolean erf = iArgs()[0] == GeluOp.ERF;
        int cols = (int) x.size(x.rank() - 1);
        int rows = (int) (x.length() / cols);
        if (x.dataType() == DataType.FLOAT) {
            NativeFloats.Span xs = NativeFloats.of(x, "GELU input");
            NativeFloats.Span dys = NativeFloats.of(in[1], "GELU output gradient");
            NativeFloats.Span dxs = NativeFloats.of(out[0], "GELU input gradient");
            ParallelRows.each(rows, RowBlocks.minRows(cols), (from, to) -> { // one pass over native memory
                int at = from * cols;
                int n = (to - from) * cols;
                if (erf) {
                    NativeGelu.erfBackward(xs.bytes(), xs.start() + at, dys.bytes(), dys.start() + at, dxs.bytes(),
                            dxs.start() + at, n);
                } else {
                    NativeGelu.tanhBackward(xs.bytes(), xs.start() + at, dys.bytes(), dys.start() + at, dxs.bytes(),
                            dxs.start() + at, n);
                }
            });
            java.lang.ref.Reference.reachabilityFence(x);
            java.lang.ref.Reference.reachabilityFence(in[1]);
            java.lang.ref.Reference.reachabilityFence(out[0]);
        } else {
            double[] v = x.dup('c').data().asDouble();
            double[] dy = in[1].dup('c').data().asDouble();
            for (int i = 0; i < v.length; i++) {
                v[i] = dy[i] * (erf ? ScalarBackwardKernels.geluErfGrad(v[i]) : ScalarBackwardKernels.geluTanhGrad(v[i]));
            }
            Ops.assign(out[0], v);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of GELU are not implemented");
    }
}
