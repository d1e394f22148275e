package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.bert.SequenceAttention;
import org.layerfuse.bert.SequenceLayout;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head scaled dot-product self-attention in one op, reading Q, K and V in their
 * token-major {@code [B·S, H]} rows (no head permutes): per sequence and head
 * P = softmax(Q·Kᵀ/√d + (1 − mask)·value), context = P·V. Inputs the projections' products
 * x·Wq, x·Wk, x·Wv, the {@code [B, S]} 0/1 mask and the biases bq, bk, bv, added here to each
 * sequence's rows as they are read (Q = x·Wq + bq: the float addition the dense layer made, so the
 * same bits, and no bias pass over the arrays); i-argument: heads; t-argument: the mask value. Outputs the
 * context {@code [B·S, H]} and the probabilities {@code [B, heads, S, S]} (which the gradient
 * reuses), through {@link SequenceAttention} as the fused forward does. Gradient
 * {@link AttentionBpOp}; the probabilities output has none (nothing in the loss reads it).
 *
 * <p>Given fewer rows than the mask's B·S, the batch is packed ({@link SequenceLayout#of}: each
 * sequence's real tokens end to end, as {@code ModelInputs} feeds a training batch with its
 * padding left out): attention runs per sequence over its real tokens alone, the probabilities
 * are held sequence after sequence ({@code [heads, len, len]} each) in an array of
 * {@code [rows, heads, S]} (room for them all, as each length is at most S: memory in proportion
 * to the packed rows, not to B·S²), and the context of rows past the sequences is 0.
 */
public final class AttentionOp extends JavaOp {

    static {
        JavaOps.register(new AttentionOp());
    }

    public AttentionOp() {
    }

    public AttentionOp(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable mask, SDVariable bq,
                       SDVariable bk, SDVariable bv, int heads, double maskValue) {
        super(sd, q, k, v, mask, bq, bk, bv);
        addIArgument(heads);
        addTArgument(maskValue);
    }

    @Override
    public String opName() {
        return "layerfuse_attention";
    }

    @Override
    public int getNumOutputs() {
        return 2;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        long b = in[3][0];
        long s = in[3][1];
        long rows = in[0][0];
        if (rows != b * s) { // packed: each sequence's [heads, len, len] in turn, Σ len² ≤ S·rows
            return new long[][]{in[0], {rows, iArgs()[0], s}};
        }
        return new long[][]{in[0], {b, iArgs()[0], s, s}};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        int heads = (int) iArgs()[0];
        double maskValue = tArgs()[0];
        int batch = (int) in[3].size(0);
        int seq = (int) in[3].size(1);
        int h = (int) in[0].columns();
        int d = h / heads;
        long rows = in[0].rows();
        if (rows > (long) batch * seq || d * heads != h) {
            throw new IllegalArgumentException("attention: " + rows + " × " + h + " rows for a " + batch + " × "
                    + seq + " mask and " + heads + " heads");
        }
        float[] mask = NativeFloats.toArray(in[3]);
        if (rows == (long) batch * seq) {
            SequenceAttention.run(in[0], in[1], in[2], in[4], in[5], in[6], mask, batch, seq, maskValue, heads, out[0],
                    out[1]);
            return;
        }
        SequenceLayout packed = SequenceLayout.of(mask, batch, seq, rows, "attention");
        Ops.zeroRowsFrom(out[0], packed.real()); // rows past the sequences: no token, context 0
        SequenceAttention.packed(in[0], in[1], in[2], in[4], in[5], in[6], packed.offsets(), packed.lengths(), heads,
                out[0], out[1]);
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable[] g = new AttentionBpOp(sameDiff, arg(0), arg(1), arg(2), outputVariables()[1], grads.get(0),
                arg(4), arg(5), arg(6), arg(3), (int) iArgs()[0]).outputVariables();
        return List.of(g[0], g[1], g[2], sameDiff.zerosLike(arg(3)), g[3], g[4], g[5]);
    }
}
