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

/**
 * GELU of a {@code [rows, cols]} matrix in one op, exact form ½x(1 + erf(x/√2)) (i-argument 0)
 * or tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (i-argument 1); gradient {@link GeluBpOp}.
 */
public final class GeluOp extends JavaOp {

    /** i-argument values. */
    public static final long ERF = 0;
    public static final long TANH = 1;

    static {
        JavaOps.register(new GeluOp());
    }

    public GeluOp() {
    }

    public GeluOp(SameDiff sd, SDVariable x, long form) {
        super(sd, x);
        addIArgument(form);
    }

    @Override
    public String opName() {
        return "layerfuse_gelu";
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        INDArray x = in[0];
        boolean erf = iArgs()[0] == ERF;
        int cols = (int) x.size(x.rank() - 1);
        int rows = (int) (x.length() / cols);
        if (x.dataType() == DataType.FLOAT) {
            NativeFloats.Span xs = NativeFloats.of(x, "GELU input");
            NativeFloats.Span ys = NativeFloats.of(out[0], "GELU output");
            float[] zero = new float[cols];
            ParallelRows.each(rows, RowBlocks.minRows(cols), (from, to) -> {
                int src = xs.start() + from * cols;
                int dst = ys.start() + from * cols;
                if (erf) {
                    NativeGelu.biasGeluErf(xs.bytes(), src, ys.bytes(), dst, to - from, cols, zero);
                } else {
                    NativeGelu.biasGeluTanh(xs.bytes(), src, ys.bytes(), dst, to - from, cols, zero);
                }
            });
            java.lang.ref.Reference.reachabilityFence(x);
            java.lang.ref.Reference.reachabilityFence(out[0]);
        } else {
            double[] v = x.dup('c').data().asDouble();
            for (int i = 0; i < v.length; i++) {
                v[i] = erf ? ScalarBackwardKernels.geluErf(v[i]) : ScalarBackwardKernels.geluTanh(v[i]);
            }
            Ops.assign(out[0], v);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        return List.of(new GeluBpOp(sameDiff, arg(0), grads.get(0), iArgs()[0]).outputVariable());
    }
}
