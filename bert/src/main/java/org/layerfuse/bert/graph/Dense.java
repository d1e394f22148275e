package org.layerfuse.bert.graph;

import org.layerfuse.bert.graph.ops.DenseOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * An affine map of a {@code [rows, in]} matrix: y = x·W + b with W stored {@code [in, out]}.
 *
 * <p>A matrix product plus a broadcast add. ND4J's fused {@code xw_plus_b} ({@code
 * sd.nn().linear}) was 5–15% faster on MiniLM's shapes but gave wrong float32 results on a
 * small model (the scalar-reference test caught it; float64 was right), so it is not used.
 */
final class Dense {

    private Dense() {
    }

    static SDVariable apply(SameDiff sd, String name, SDVariable x, SDVariable kernel, SDVariable bias) {
        if (JavaOps.available()) {
            return new DenseOp(sd, x, kernel, bias).outputVariable().rename(name);
        }
        return x.mmul(kernel).add(name, bias);
    }

    /**
     * y = x·W alone, for a dense layer whose bias the next op adds as it reads y (the GELU, the
     * residual layer norm: see {@link Gelu#apply} and {@link LayerNorm#apply}), so that x·W + b
     * is never a pass of its own.
     */
    static SDVariable product(SameDiff sd, String name, SDVariable x, SDVariable kernel) {
        if (JavaOps.available()) {
            return new DenseOp(sd, x, kernel).outputVariable().rename(name);
        }
        return x.mmul(name, kernel);
    }
}
