package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of {@link GeluOp}: inputs GELU'(x + b) (the forward's second output) and dy; outputs
 * dx = GELU'(x + b)·dy, one product (float32: {@link NativeGelu#multiply}), and the bias's
 * gradient db = Σ_rows dx, each block of rows summed right after its product is written (the
 * blocks and bits of {@link DenseBpOp}'s bias gradient, which summed the same array before the
 * bias moved into the GELU).
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
    public int getNumOutputs() {
        return 2;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], {in[0][in[0].length - 1]}};
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
            float[] db = RowBlocks.columnSums(out[0], "GELU input gradient", (from, count) -> {
                int at = from * cols;
                NativeGelu.multiply(ds.bytes(), ds.start() + at, dys.bytes(), dys.start() + at, dxs.bytes(),
                        dxs.start() + at, count * cols);
            });
            java.lang.ref.Reference.reachabilityFence(d);
            java.lang.ref.Reference.reachabilityFence(in[1]);
            java.lang.ref.Reference.reachabilityFence(out[0]);
            Ops.assign(out[1], db);
        } else {
            double[] v = Ops.doubles(d);
            double[] dy = Ops.doubles(in[1]);
            for (int i = 0; i < v.length; i++) {
                v[i] = dy[i] * v[i];
            }
            Ops.assign(out[0], v);
            DenseBpOp.biasGradient(out[0].reshape(rows, cols), out[1], "GELU input gradient");
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of GELU are not implemented");
    }
}
