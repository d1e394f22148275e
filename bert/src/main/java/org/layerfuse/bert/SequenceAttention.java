package org.layerfuse.bert;

import org.layerfuse.engine.fused.AttentionKernel;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.layerfuse.engine.fused.TransformerKernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head attention over a batch of token-major {@code [B·S, H]} rows, sequence by sequence,
 * for both the fused forward ({@link PlanKernels#attention}) and the training graph's attention
 * op, both of which pass the products x·Wq, x·Wk, x·Wv with their biases still to add: per
 * sequence the Q, K and V rows are read (plus their biases where given), the additive key mask is (1 − mask)·maskValue, and
 * {@link AttentionKernel#sequence} (float32, sequences split over the cores) or the double loops
 * of {@link ScalarTransformerKernels#attention} (float64) write the context and, if asked, the
 * probabilities {@code [B, heads, S, S]}.
 */
public final class SequenceAttention {

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[6][0]);

    private SequenceAttention() {
    }

    /**
     * @param bq, bk, bv  biases to add to Q, K and V, or all null
     * @param mask        {@code [B·S]} 1 for a real token, 0 for padding
     * @param probs       receives the probabilities, or null
     */
    public static void run(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv, float[] mask,
                           int batch, int seq, double maskValue, int heads, INDArray ctx, INDArray probs) {
        if (q.dataType() == DataType.FLOAT) {
            floats(q, k, v, bq, bk, bv, mask, batch, seq, maskValue, heads, ctx, probs);
        } else {
            doubles(q, k, v, bq, bk, bv, mask, batch, seq, maskValue, heads, ctx, probs);
        }
    }

    private static void floats(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                               float[] tokenMask, int batch, int seq, double maskValue, int heads, INDArray ctx,
                               INDArray probs) {
        int h = (int) q.columns();
        int d = h / heads;
        int span = seq * h;
        int probsSpan = heads * seq * seq;
        float scale = (float) (1.0 / Math.sqrt(d));
        float maskAdd = (float) maskValue;
        NativeFloats.Span qs = NativeFloats.of(q, "query");
        NativeFloats.Span ks = NativeFloats.of(k, "key");
        NativeFloats.Span vs = NativeFloats.of(v, "value");
        NativeFloats.Span out = NativeFloats.of(ctx, "context");
        NativeFloats.Span p = probs == null ? null : NativeFloats.of(probs, "attention probabilities");
        float[] biasQ = bq == null ? null : NativeFloats.toArray(bq);
        float[] biasK = bk == null ? null : NativeFloats.toArray(bk);
        float[] biasV = bv == null ? null : NativeFloats.toArray(bv);
        ParallelRows.each(batch, 1, (from, to) -> {
            float[][] s = SCRATCH.get();
            int[] sizes = {span, span, span, span, probs == null ? 0 : probsSpan, AttentionKernel.workSize(seq, d)};
            for (int i = 0; i < sizes.length; i++) {
                if (s[i].length < sizes[i]) {
                    s[i] = new float[sizes[i]];
                }
            }
            float[] mask = new float[seq];
            for (int r = from; r < to; r++) {
                qs.read(r * span, s[0], 0, span);
                ks.read(r * span, s[1], 0, span);
                vs.read(r * span, s[2], 0, span);
                if (biasQ != null) {
                    TransformerKernels.biasAdd(s[0], 0, seq, h, biasQ);
                    TransformerKernels.biasAdd(s[1], 0, seq, h, biasK);
                    TransformerKernels.biasAdd(s[2], 0, seq, h, biasV);
                }
                for (int t = 0; t < seq; t++) {
                    mask[t] = (1f - tokenMask[r * seq + t]) * maskAdd; // the graph's (1 − mask)·value, in float
                }
                AttentionKernel.sequence(s[0], s[1], s[2], 0, seq, heads, d, scale, mask, 0, s[3], 0,
                        probs == null ? null : s[4], 0, s[5]);
                out.write(r * span, s[3], 0, span);
                if (p != null) {
                    p.write(r * probsSpan, s[4], 0, probsSpan);
                }
            }
        });
    }

    private static void doubles(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                                float[] tokenMask, int batch, int seq, double maskValue, int heads, INDArray ctx,
                                INDArray probs) {
        int rows = (int) q.rows();
        int h = (int) q.columns();
        double[] qa = DoublePlanKernels.load(q);
        double[] ka = DoublePlanKernels.load(k);
        double[] va = DoublePlanKernels.load(v);
        if (bq != null) {
            ScalarTransformerKernels.biasAdd(qa, 0, rows, h, bq.toDoubleVector());
            ScalarTransformerKernels.biasAdd(ka, 0, rows, h, bk.toDoubleVector());
            ScalarTransformerKernels.biasAdd(va, 0, rows, h, bv.toDoubleVector());
        }
        double[] mask = new double[rows];
        for (int i = 0; i < rows; i++) {
            mask[i] = (1 - tokenMask[i]) * maskValue;
        }
        double[] out = new double[rows * h];
        double[] p = probs == null ? null : new double[batch * heads * seq * seq];
        for (int r = 0; r < batch; r++) {
            ScalarTransformerKernels.attention(qa, ka, va, r * seq * h, seq, heads, h / heads, 1 / Math.sqrt(h / heads),
                    mask, r * seq, out, r * seq * h, p, r * heads * seq * seq);
        }
        DoublePlanKernels.store(ctx, out);
        if (probs != null) {
            DoublePlanKernels.store(probs, p);
        }
    }
}
