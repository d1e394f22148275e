package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.Gemm;
import org.layerfuse.engine.fused.GemmRoute;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * y = x·W + b for {@code x [rows, in]}, {@code W [in, out]}, {@code b [out]}: one matrix product
 * straight into the output SameDiff allocated, then the bias added in place (one op where the
 * graph had a product and a broadcast add), on {@link GemmRoute}'s matrix-product library
 * (oneDNN unless {@code -Dlayerfuse.fused.gemm} says otherwise, as for the fused forward);
 * gradient {@link DenseBpOp}. Without a bias input it is the product alone, y = x·W (gradient
 * {@link ProductBpOp}): the bias is then added by the op that reads y (the GELU, the layer norm).
 */
public final class DenseOp extends JavaOp {

    static {
        JavaOps.register(new DenseOp());
    }

    public DenseOp() {
    }

    public DenseOp(SameDiff sd, SDVariable x, SDVariable kernel, SDVariable bias) {
        super(sd, x, kernel, bias);
    }

    /** y = x·W, the bias left to the op that reads y. */
    public DenseOp(SameDiff sd, SDVariable x, SDVariable kernel) {
        super(sd, x, kernel);
    }

    @Override
    public String opName() {
        return "layerfuse_dense";
    }

    @Override
    public int getNumOutputs() {
        return 1;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{{in[0][0], in[1][1]}};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        affine(in[0], in[1], in.length > 2 ? in[2] : null, out[0]);
    }

    /**
     * {@code y = x·W + b} into {@code y}: the product on {@link GemmRoute}'s library, then the bias
     * (if not null) in place.
     */
    static void affine(INDArray x, INDArray w, INDArray b, INDArray y) {
        GemmRoute.Route route = GemmRoute.route(x.rows(), w.rows(), w.columns(), x.dataType());
        GemmRoute.run(route, () -> Gemm.gemm(x, w, y, false, false, 1.0, 0.0));
        if (b == null) {
            return;
        }
        if (y.rank() == 2 && NativeFloats.accepts(y) && b.dataType() == DataType.FLOAT) {
            RowBlocks.addBias(y, b, "dense output"); // addiRowVector: 0.5–0.7 ms on [1024, 384]
        } else {
            y.addiRowVector(b);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        if (args().length == 2) {
            SDVariable[] g = new ProductBpOp(sameDiff, arg(0), arg(1), grads.get(0)).outputVariables();
            return List.of(g[0], g[1]);
        }
        SDVariable[] g = new DenseBpOp(sameDiff, arg(0), arg(1), grads.get(0)).outputVariables();
        return List.of(g[0], g[1], g[2]);
    }
}
