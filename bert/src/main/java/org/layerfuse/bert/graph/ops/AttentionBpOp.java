package org.layerfuse.bert.graph.ops;

import java.util.List;
import org.layerfuse.bert.NativeFloats;
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
 */
public final class AttentionBpOp extends JavaOp {

    static {
        JavaOps.register(new AttentionBpOp());
    }

    public AttentionBpOp() {
    }

    AttentionBpOp(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable probs, SDVariable dCtx,
                  SDVariable bq, SDVariable bk, SDVariable bv, int heads) {
        super(sd, q, k, v, probs, dCtx, bq, bk, bv);
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
        int batch = (int) in[3].size(0);
        int seq = (int) in[3].size(2);
        int h = (int) in[0].columns();
        int d = h / heads;
        int span = seq * h;
        int probsSpan = heads * seq * seq;
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
            ParallelRows.each(batch, 1, (from, to) -> {
                float[][] s = RowBlocks.scratch(Math.max(span, probsSpan));
                float[][] t = RowBlocks.scratch2(span);
                float[] work = RowBlocks.work(AttentionKernel.backwardWorkSize(seq, d));
                for (int r = from; r < to; r++) {
                    ins[0].read(r * span, s[0], 0, span);
                    ins[1].read(r * span, s[1], 0, span);
                    ins[2].read(r * span, s[2], 0, span);
                    for (int p = 0; p < 3; p++) {
                        TransformerKernels.biasAdd(s[p], 0, seq, h, bias[p]); // Q, K, V as the forward formed them
                    }
                    ins[3].read(r * probsSpan, s[3], 0, probsSpan);
                    ins[4].read(r * span, t[0], 0, span);
                    AttentionKernel.sequenceBackward(s[0], s[1], s[2], t[0], 0, seq, heads, d, scale, s[3], 0, t[1], t[2],
                            t[3], work);
                    outs[0].write(r * span, t[1], 0, span);
                    outs[1].write(r * span, t[2], 0, span);
                    outs[2].write(r * span, t[3], 0, span);
                }
            });
        } else {
            double[] q = Ops.doubles(in[0]);
            double[] k = Ops.doubles(in[1]);
            double[] v = Ops.doubles(in[2]);
            double[][] qkv = {q, k, v};
            for (int p = 0; p < 3; p++) { // the dense layers' bias, added in double as their row-vector add did
                ScalarTransformerKernels.biasAdd(qkv[p], 0, batch * seq, h, Ops.doubles(in[5 + p]));
            }
            double[] probs = Ops.doubles(in[3]);
            double[] dCtx = Ops.doubles(in[4]);
            double[] dq = new double[q.length];
            double[] dk = new double[q.length];
            double[] dv = new double[q.length];
            for (int r = 0; r < batch; r++) {
                ScalarBackwardKernels.attention(q, k, v, dCtx, r * span, seq, heads, d, 1.0 / Math.sqrt(d), probs,
                        r * probsSpan, dq, dk, dv);
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
