package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.fused.NativeRows;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GELU of x + b for a {@code [rows, cols]} matrix x and a bias b {@code [cols]} in one op (the
 * intermediate dense layer's bias, added here as the argument is formed, so x + b is never an
 * array of its own), exact form ½y(1 + erf(y/√2)) (i-argument 0) or tanh form
 * ½y(1 + tanh(√(2/π)(y + 0.044715y³))) (i-argument 1), y = x + b. A second output is the
 * derivative GELU'(x + b), computed here where the exact form's erf is already at hand, so that
 * the gradient {@link GeluBpOp} is one product dy·GELU'(x + b) (the same bits as computing the
 * derivative there) and x need not be kept for it: the derivative takes its place.
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

    public GeluOp(SameDiff sd, SDVariable x, SDVariable bias, long form) {
        super(sd, x, bias);
        addIArgument(form);
    }

    @Override
    public String opName() {
        return "layerfuse_gelu";
    }

    @Override
    public int getNumOutputs() {
        return 2;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], in[0]};
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
            NativeFloats.Span ds = NativeFloats.of(out[1], "GELU derivative");
            float[] bias = NativeFloats.toArray(in[1]);
            // the row blocks GeluBpOp's gradient used to take: the derivative's floats go the same way
            ParallelRows.each(rows, RowBlocks.minRows(cols), (from, to) -> {
                int at = from * cols;
                if (erf) {
                    NativeGelu.erfWithDerivative(xs.bytes(), xs.start() + at, ys.bytes(), ys.start() + at, ds.bytes(),
                            ds.start() + at, to - from, cols, bias);
                } else {
                    NativeGelu.biasGeluTanh(xs.bytes(), xs.start() + at, ys.bytes(), ys.start() + at, to - from, cols,
                            bias);
                    NativeRows.biasAdd(xs.bytes(), xs.start() + at, ds.bytes(), ds.start() + at, to - from, cols,
                            bias);
                    NativeGelu.tanhDerivative(ds.bytes(), ds.start() + at, ds.bytes(), ds.start() + at,
                            (to - from) * cols);
                }
            });
            java.lang.ref.Reference.reachabilityFence(x);
            java.lang.ref.Reference.reachabilityFence(out[0]);
            java.lang.ref.Reference.reachabilityFence(out[1]);
        } else {
            double[] v = Ops.doubles(x);
            // the dense layer's bias, added in double as its row-vector add did
            ScalarTransformerKernels.biasAdd(v, 0, rows, cols, Ops.doubles(in[1]));
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = erf ? ScalarBackwardKernels.geluErfGrad(v[i]) : ScalarBackwardKernels.geluTanhGrad(v[i]);
                v[i] = erf ? ScalarBackwardKernels.geluErf(v[i]) : ScalarBackwardKernels.geluTanh(v[i]);
            }
            Ops.assign(out[0], v);
            Ops.assign(out[1], d);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable[] g = new GeluBpOp(sameDiff, outputVariables()[1], grads.get(0)).outputVariables();
        return List.of(g[0], g[1]);
    }
}
