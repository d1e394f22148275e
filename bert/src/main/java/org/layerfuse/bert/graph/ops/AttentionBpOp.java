package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
import org.layerfuse.bert.SequenceLayout;
import org.layerfuse.engine.fused.AttentionKernel;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.layerfuse.engine.fused.TransformerKernels;
import org.layerfuse.engine.javaop.JavaOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient of {@link AttentionOp}: inputs the products x·Wq, x·Wk, x·Wv, the probabilities, the
 * context gradient and the biases bq, bk, bv (added to each sequence's rows as they are read, as
 * the forward added them); outputs dQ, dK, dV ({@link AttentionKernel#sequenceBackward}, one
 * sequence per task) and the biases' gradients Σ_rows dQ, dK, dV (the blocks and bits of
 * {@link DenseBpOp}'s bias gradient, which summed the same arrays before the biases moved here).
 * The last input is the forward's {@code [B, S]} mask, from which a packed batch's layout is read
 * ({@link SequenceLayout#of}); rows past a packed batch's sequences get gradient 0.
 */
public final class AttentionBpOp extends JavaOp {

    static {
        JavaOps.register(new AttentionBpOp());
    }

    public AttentionBpOp() {
    }

    AttentionBpOp(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable probs, SDVariable dCtx,
                  SDVariable bq, SDVariable bk, SDVariable bv, SDVariable mask, int heads) {
        super(sd, q, k, v, probs, dCtx, bq, bk, bv, mask);
        addIArgument(heads);
    }

    @Override
    public String opName() {
        return "layerfuse_attention_bp";
    }

    @Override
    public int getNumOutputs() {
        return 6;
    }

    @Override
    protected long[][] outputShapes(long[][] in) {
        return new long[][]{in[0], in[1], in[2], in[5], in[6], in[7]};
    }

    @Override
    protected void compute(INDArray[] in, INDArray[] out) {
        int heads = (int) iArgs()[0];
        int batch = (int) in[8].size(0);
        int seq = (int) in[8].size(1);
        int h = (int) in[0].columns();
        int d = h / heads;
        // the forward's layout: uniform for the padded batch, its real tokens alone for a packed one
        SequenceLayout layout = SequenceLayout.of(NativeFloats.toArray(in[8]), batch, seq, in[0].rows(),
                "attention gradient");
        int[] offsets = layout.offsets();
        int[] lengths = layout.lengths();
        long[] probsAt = layout.probabilityOffsets(heads);
        if (in[0].dataType() == DataType.FLOAT) {
            float scale = (float) (1.0 / Math.sqrt(d));
            NativeFloats.Span[] ins = new NativeFloats.Span[5];
            String[] what = {"query", "key", "value", "attention probabilities", "context gradient"};
            for (int i = 0; i < 5; i++) {
                ins[i] = NativeFloats.of(in[i], what[i]);
            }
            NativeFloats.Span[] outs = {NativeFloats.of(out[0], "query gradient"), NativeFloats.of(out[1], "key gradient"),
                NativeFloats.of(out[2], "value gradient")};
            float[][] bias = {NativeFloats.toArray(in[5]), NativeFloats.toArray(in[6]), NativeFloats.toArray(in[7])};
            int longest = layout.longest();
            int most = Math.max(longest * h, heads * longest * longest);
            ParallelRows.each(batch, 1, (from, to) -> {
                float[][] s = RowBlocks.scratch(most);
                float[][] t = RowBlocks.scratch2(longest * h);
                float[] work = RowBlocks.work(AttentionKernel.backwardWorkSize(longest, d));
                for (int r = from; r < to; r++) {
                    int len = lengths[r];
                    int span = len * h;
                    int at = offsets[r] * h;
                    ins[0].read(at, s[0], 0, span);
                    ins[1].read(at, s[1], 0, span);
                    ins[2].read(at, s[2], 0, span);
                    for (int p = 0; p < 3; p++) {
                        TransformerKernels.biasAdd(s[p], 0, len, h, bias[p]); // Q, K, V as the forward formed them
                    }
                    ins[3].read(Math.toIntExact(probsAt[r]), s[3], 0, heads * len * len);
                    ins[4].read(at, t[0], 0, span);
                    AttentionKernel.sequenceBackward(s[0], s[1], s[2], t[0], 0, len, heads, d, scale, s[3], 0, t[1],
                            t[2], t[3], work);
                    outs[0].write(at, t[1], 0, span);
                    outs[1].write(at, t[2], 0, span);
                    outs[2].write(at, t[3], 0, span);
                }
            });
            for (int p = 0; p < 3; p++) {
                Ops.zeroRowsFrom(out[p], layout.real()); // rows past the sequences: no token, no gradient
            }
        } else {
            double[] q = Ops.doubles(in[0]);
            double[] k = Ops.doubles(in[1]);
            double[] v = Ops.doubles(in[2]);
            double[][] qkv = {q, k, v};
            for (int p = 0; p < 3; p++) { // the dense layers' bias, added in double as their row-vector add did
                ScalarTransformerKernels.biasAdd(qkv[p], 0, (int) in[0].rows(), h, Ops.doubles(in[5 + p]));
            }
            double[] probs = Ops.doubles(in[3]);
            double[] dCtx = Ops.doubles(in[4]);
            double[] dq = new double[q.length];
            double[] dk = new double[q.length];
            double[] dv = new double[q.length];
            for (int r = 0; r < batch; r++) {
                ScalarBackwardKernels.attention(q, k, v, dCtx, offsets[r] * h, lengths[r], heads, d, 1.0 / Math.sqrt(d),
                        probs, Math.toIntExact(probsAt[r]), dq, dk, dv);
            }
            Ops.assign(out[0], dq);
            Ops.assign(out[1], dk);
            Ops.assign(out[2], dv);
        }
        String[] names = {"query gradient", "key gradient", "value gradient"};
        for (int p = 0; p < 3; p++) {
            DenseBpOp.biasGradient(out[p], out[3 + p], names[p]);
        }
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException("second derivatives of attention are not implemented");
    }
}
