package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.engine.fused.AttentionKernel;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head scaled dot-product self-attention in one op, reading Q, K and V in their
 * token-major {@code [B·S, H]} rows (no head permutes): per sequence and head
 * P = softmax(Q·Kᵀ/√d + (1 − mask)·value), context = P·V. Inputs Q, K, V (biases added) and
 * the {@code [B, S]} 0/1 mask; i-argument: heads; t-argument: the mask value. Outputs the
 * context {@code [B·S, H]} and the probabilities {@code [B, heads, S, S]} (which the gradient
 * reuses). Gradient {@link AttentionBpOp}; the probabilities output has none (nothing in
 * the loss reads it).
 */
public final class AttentionOp extends JavaOp {

    static {
        JavaOps.register(new AttentionOp());
    }

    public AttentionOp() {
    }

    public AttentionOp(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable mask, int heads,
                       double maskValue) {
        super(sd, q, k, v, mask);
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
        if (in[0].rows() != (long) batch * seq || d * heads != h) {
            throw new IllegalArgumentException("attention: " + in[0].rows() + " × " + h + " rows for a " + batch + " × "
                    + seq + " mask and " + heads + " heads");
        }
        int span = seq * h;
        int probsSpan = heads * seq * seq;
        if (in[0].dataType() == DataType.FLOAT) {
            float scale = (float) (1.0 / Math.sqrt(d));
            NativeFloats.Span qs = NativeFloats.of(in[0], "query");
            NativeFloats.Span ks = NativeFloats.of(in[1], "key");
            NativeFloats.Span vs = NativeFloats.of(in[2], "value");
            NativeFloats.Span cs = NativeFloats.of(out[0], "context");
            NativeFloats.Span ps = NativeFloats.of(out[1], "attention probabilities");
            float[] mask = in[3].dup('c').data().asFloat();
            ParallelRows.run(batch, 1, (from, to) -> {
                float[][] s = RowBlocks.scratch(span);
                float[] probs = RowBlocks.scratch2(probsSpan)[0];
                float[] work = RowBlocks.work(AttentionKernel.workSize(seq, d));
                float[] add = new float[seq];
                for (int r = from; r < to; r++) {
                    qs.read(r * span, s[0], 0, span);
                    ks.read(r * span, s[1], 0, span);
                    vs.read(r * span, s[2], 0, span);
                    for (int t = 0; t < seq; t++) {
                        add[t] = (1f - mask[r * seq + t]) * (float) maskValue;
                    }
                    AttentionKernel.sequence(s[0], s[1], s[2], 0, seq, heads, d, scale, add, 0, s[3], 0, probs, 0, work);
                    cs.write(r * span, s[3], 0, span);
                    ps.write(r * probsSpan, probs, 0, probsSpan);
                }
            });
        } else {
            double[] q = in[0].dup('c').data().asDouble();
            double[] k = in[1].dup('c').data().asDouble();
            double[] v = in[2].dup('c').data().asDouble();
            double[] mask = in[3].dup('c').data().asDouble();
            double[] ctx = new double[q.length];
            double[] probs = new double[batch * probsSpan];
            double[] add = new double[seq];
            for (int r = 0; r < batch; r++) {
                for (int t = 0; t < seq; t++) {
                    add[t] = (1 - mask[r * seq + t]) * maskValue;
                }
                ScalarTransformerKernels.attention(q, k, v, r * span, seq, heads, d, 1.0 / Math.sqrt(d), add, 0, ctx,
                        r * span, probs, r * probsSpan);
            }
            Ops.assign(out[0], ctx);
            Ops.assign(out[1], probs);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable[] g = new AttentionBpOp(sameDiff, arg(0), arg(1), arg(2), outputVariables()[1], grads.get(0),
                (int) iArgs()[0]).outputVariables();
        return List.of(g[0], g[1], g[2], sameDiff.zerosLike(arg(3)));
    }
}
