package org.layerfuse.bert;

import java.util.concurrent.atomic.AtomicLong;
import org.layerfuse.engine.fused.AttentionKernel;
import org.layerfuse.engine.fused.DnnlAttention;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.layerfuse.engine.fused.TransformerKernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Multi-head attention over a batch of token-major {@code [B·S, H]} rows, sequence by sequence,
 * for both the fused forward ({@link PlanKernels#attention}) and the training graph's attention
 * op, both of which pass the products x·Wq, x·Wk, x·Wv with their biases still to add: per
 * sequence the Q, K and V rows are read (plus their biases where given), the additive key mask is (1 − mask)·maskValue, and
 * {@link AttentionKernel#sequence} (float32, sequences split over the cores) or the double loops
 * of {@link ScalarTransformerKernels#attention} (float64) write the context and, if asked, the
 * probabilities {@code [B, heads, S, S]}.
 *
 * <p>In float32 with no biases to add (the fused forward adds them in its Q, K and V products),
 * oneDNN's library at hand and enough scores to be worth its fixed cost a call, the whole batch
 * goes at once: both products on
 * {@link DnnlAttention} (one batched matmul each, heads read in place) and the softmax between
 * them by {@link AttentionKernel#softmaxKeys} over the transposed scores, (sequence, head) blocks
 * split over the cores. The training graph's op passes its biases and stays on the per-sequence
 * kernel, whose backward reads the probabilities it saved.
 */
public final class SequenceAttention {

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[6][0]);
    /** The batched path's transposed scores, per calling thread, grown on demand. */
    private static final ThreadLocal<INDArray[]> SCORES = ThreadLocal.withInitial(() -> new INDArray[1]);
    /** Most floats of transposed scores one batched call holds (16 MB). */
    static final long SCORES_FLOATS = 4L << 20;
    /**
     * Fewest scores (batch × heads × S²) the batched path takes: below, oneDNN's fixed cost a call
     * (primitives, waking its threads: ≈ 0.1 ms a layer) outweighs its faster products. MiniLM on
     * the AVX2 Zen 3, six layers' attention: 1 × 4 tokens 0.71 ms batched against 0.08 per
     * sequence, 1 × 32 0.98 against 0.51, 8 × 32 (98 K scores) level, 1 × 128 (196 K) 3.8 against
     * 5.9, 32 × 32 (393 K) batched ahead. {@code -Dlayerfuse.fused.attention.batchedMinScores}.
     */
    private static final long BATCHED_MIN_SCORES_BY_PROPERTY =
            Long.getLong("layerfuse.fused.attention.batchedMinScores", 64 * 1024);
    private static volatile long batchedMinScores = BATCHED_MIN_SCORES_BY_PROPERTY;
    /** Batched calls made, for tests of the routing (the two paths can give the same bits). */
    private static final AtomicLong BATCHED_CALLS = new AtomicLong();
    /** Floats of scores a thread of the softmax takes at least (a few of MiniLM's 32 × 32 blocks). */
    private static final int MIN_PARALLEL_FLOATS = 16 * 1024;

    private SequenceAttention() {
    }

    /**
     * @param bq, bk, bv  biases to add to Q, K and V, or all null
     * @param mask        {@code [B·S]} 1 for a real token, 0 for padding
     * @param probs       receives the probabilities, or null
     */
    public static void run(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv, float[] mask,
                           int batch, int seq, double maskValue, int heads, INDArray ctx, INDArray probs) {
        if (q.dataType() == DataType.FLOAT && bq == null && bk == null && bv == null && dense(q) && dense(k)
                && dense(v) && dense(ctx) && (probs == null || NativeFloats.accepts(probs))
                && (long) batch * heads * seq * seq >= batchedMinScores
                && batchedSupports(batch, seq, heads, (int) q.columns() / heads)) {
            BATCHED_CALLS.incrementAndGet();
            batched(q, k, v, mask, batch, seq, maskValue, heads, ctx, probs);
        } else if (q.dataType() == DataType.FLOAT) {
            floats(q, k, v, bq, bk, bv, mask, batch, seq, maskValue, heads, ctx, probs);
        } else {
            doubles(q, k, v, bq, bk, bv, mask, batch, seq, maskValue, heads, ctx, probs);
        }
    }

    /**
     * Attention over packed rows ({@link PackedRows}): sequence {@code r} is rows
     * {@code [offsets[r], offsets[r] + lengths[r])} of q, k, v (biases added) and ctx, every one of
     * them a real token, so no mask; the per-sequence kernel ({@link AttentionKernel#sequence}) in
     * float32, the double loops in float64. Rows of ctx past the sequences are left as they are.
     */
    public static void packed(INDArray q, INDArray k, INDArray v, int[] offsets, int[] lengths, int heads,
                              INDArray ctx) {
        packed(q, k, v, null, null, null, offsets, lengths, heads, ctx, null);
    }

    /**
     * {@link #packed(INDArray, INDArray, INDArray, int[], int[], int, INDArray)} with biases
     * {@code bq, bk, bv} added to Q, K and V as each sequence's rows are read (all null: none), and
     * the probabilities, if asked, written sequence after sequence
     * ({@link SequenceLayout#probabilityOffsets}): the training graph's attention op on a packed batch.
     */
    public static void packed(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                              int[] offsets, int[] lengths, int heads, INDArray ctx, INDArray probs) {
        if (q.dataType() == DataType.FLOAT) {
            floatSequences(q, k, v, bq, bk, bv, offsets, lengths, null, 0f, heads, ctx, probs);
        } else {
            doubleSequences(q, k, v, bq, bk, bv, offsets, lengths, new double[(int) q.rows()], heads, ctx, probs);
        }
    }

    /** Sets the batched path's threshold (tests: 0 sends every shape there); null: the property's. */
    static void batchedMinScores(Long scores) {
        batchedMinScores = scores != null ? scores : BATCHED_MIN_SCORES_BY_PROPERTY;
    }

    static long batchedCalls() {
        return BATCHED_CALLS.get();
    }

    private static boolean dense(INDArray x) {
        return x.rank() == 2 && x.ordering() == 'c' && x.elementWiseStride() == 1 && NativeFloats.accepts(x);
    }

    /**
     * Sequences per batched call: as many as keep the transposed scores within
     * {@value #SCORES_FLOATS} floats (one call for MiniLM's 32 × 32 and 32 × 128; BERT-base at
     * 32 × 512 would otherwise hold 400 MB of scores).
     */
    static int sequencesPerCall(int batch, int seq, int heads) {
        long perSequence = (long) heads * seq * DnnlAttention.scoreRow(seq);
        return (int) Math.max(1, Math.min(batch, SCORES_FLOATS / perSequence));
    }

    private static boolean batchedSupports(int batch, int seq, int heads, int d) {
        int chunk = sequencesPerCall(batch, seq, heads);
        return DnnlAttention.supports(chunk, seq, heads, d)
                && (batch % chunk == 0 || DnnlAttention.supports(batch % chunk, seq, heads, d));
    }

    private static void batched(INDArray q, INDArray k, INDArray v, float[] tokenMask, int batch, int seq,
                                double maskValue, int heads, INDArray ctx, INDArray probs) {
        int chunk = sequencesPerCall(batch, seq, heads);
        NativeFloats.Span p = probs == null ? null : NativeFloats.of(probs, "attention probabilities");
        if (chunk >= batch) { // one call: the arrays themselves (four ND4J views cost ≈ 60 µs a layer)
            batchedCall(q, k, v, tokenMask, 0, batch, seq, maskValue, heads, ctx, p);
            return;
        }
        for (int b0 = 0; b0 < batch; b0 += chunk) {
            int count = Math.min(chunk, batch - b0);
            INDArrayIndex[] rows = {NDArrayIndex.interval((long) b0 * seq, (long) (b0 + count) * seq),
                NDArrayIndex.all()};
            batchedCall(q.get(rows), k.get(rows), v.get(rows), tokenMask, b0, count, seq, maskValue, heads,
                    ctx.get(rows), p);
        }
    }

    /** Sequences [first, first + count) of the batch: their rows of q, k, v and ctx given as views. */
    private static void batchedCall(INDArray q, INDArray k, INDArray v, float[] tokenMask, int first, int count,
                                    int seq, double maskValue, int heads, INDArray ctx, NativeFloats.Span p) {
        int d = (int) q.columns() / heads;
        int sp = DnnlAttention.scoreRow(seq);
        int block = seq * sp;
        float scale = (float) (1.0 / Math.sqrt(d));
        float maskAdd = (float) maskValue;
        INDArray scores = scores(DnnlAttention.scoresSize(count, seq, heads));
        DnnlAttention.scores(q, k, scores, count, seq, heads);
        NativeFloats.Span span = NativeFloats.of(scores, "attention scores");
        ParallelRows.run(count * heads, Math.max(1, MIN_PARALLEL_FLOATS / block), (from, to) -> {
            float[][] s = SCRATCH.get();
            if (s[0].length < block) {
                s[0] = new float[block];
            }
            if (s[1].length < seq) {
                s[1] = new float[seq];
            }
            float[] x = s[0];
            float[] mask = s[1];
            int maskOf = -1;
            for (int bh = from; bh < to; bh++) {
                int r = first + bh / heads;
                if (r != maskOf) {
                    for (int t = 0; t < seq; t++) {
                        mask[t] = (1f - tokenMask[r * seq + t]) * maskAdd; // the graph's (1 − mask)·value, in float
                    }
                    maskOf = r;
                }
                span.read(bh * block, x, 0, block);
                AttentionKernel.softmaxKeys(x, 0, seq, sp, scale, mask, 0);
                span.write(bh * block, x, 0, block);
                if (p != null) { // [B, heads, S, S], a query per row: the block read down its columns
                    float[] row = s[2].length >= seq ? s[2] : (s[2] = new float[seq]);
                    long at = ((long) first * heads + bh) * seq * seq;
                    for (int i = 0; i < seq; i++) {
                        for (int j = 0; j < seq; j++) {
                            row[j] = x[j * sp + i];
                        }
                        p.write(Math.toIntExact(at + (long) i * seq), row, 0, seq);
                    }
                }
            }
        });
        DnnlAttention.context(scores, v, ctx, count, seq, heads);
    }

    private static INDArray scores(long size) {
        INDArray[] held = SCORES.get();
        if (held[0] == null || held[0].length() < size) {
            if (held[0] != null) {
                held[0].close();
            }
            held[0] = Nd4j.create(DataType.FLOAT, size);
        }
        return held[0];
    }

    private static void floats(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                               float[] tokenMask, int batch, int seq, double maskValue, int heads, INDArray ctx,
                               INDArray probs) {
        SequenceLayout all = SequenceLayout.uniform(batch, seq);
        floatSequences(q, k, v, bq, bk, bv, all.offsets(), all.lengths(), tokenMask, (float) maskValue, heads, ctx,
                probs);
    }

    private static void doubles(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                                float[] tokenMask, int batch, int seq, double maskValue, int heads, INDArray ctx,
                                INDArray probs) {
        double[] mask = new double[tokenMask.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (1 - tokenMask[i]) * maskValue;
        }
        SequenceLayout all = SequenceLayout.uniform(batch, seq);
        doubleSequences(q, k, v, bq, bk, bv, all.offsets(), all.lengths(), mask, heads, ctx, probs);
    }

    /**
     * Sequence r is rows {@code [offsets[r], offsets[r] + lengths[r])} of q, k, v and ctx (biases
     * added here where given); {@code tokenMask} (0/1 per row, null: every row real) gives the
     * additive key mask (1 − mask)·maskAdd; probabilities, if asked, sequence after sequence.
     */
    private static void floatSequences(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                                       int[] offsets, int[] lengths, float[] tokenMask, float maskAdd, int heads,
                                       INDArray ctx, INDArray probs) {
        int h = (int) q.columns();
        int d = h / heads;
        float scale = (float) (1.0 / Math.sqrt(d));
        NativeFloats.Span qs = NativeFloats.of(q, "query");
        NativeFloats.Span ks = NativeFloats.of(k, "key");
        NativeFloats.Span vs = NativeFloats.of(v, "value");
        NativeFloats.Span out = NativeFloats.of(ctx, "context");
        NativeFloats.Span p = probs == null ? null : NativeFloats.of(probs, "attention probabilities");
        long[] probsAt = probs == null ? null : SequenceLayout.probabilityOffsets(lengths, heads);
        float[] biasQ = bq == null ? null : NativeFloats.toArray(bq);
        float[] biasK = bk == null ? null : NativeFloats.toArray(bk);
        float[] biasV = bv == null ? null : NativeFloats.toArray(bv);
        ParallelRows.each(offsets.length, 1, (from, to) -> {
            float[][] s = SCRATCH.get();
            float[] mask = new float[0];
            for (int r = from; r < to; r++) {
                int len = lengths[r];
                int span = len * h;
                int probsSpan = heads * len * len;
                int[] sizes = {span, span, span, span, probs == null ? 0 : probsSpan, AttentionKernel.workSize(len, d)};
                for (int i = 0; i < sizes.length; i++) {
                    if (s[i].length < sizes[i]) {
                        s[i] = new float[sizes[i]];
                    }
                }
                if (mask.length < len) {
                    mask = new float[len];
                }
                int at = offsets[r] * h;
                qs.read(at, s[0], 0, span);
                ks.read(at, s[1], 0, span);
                vs.read(at, s[2], 0, span);
                if (biasQ != null) {
                    TransformerKernels.biasAdd(s[0], 0, len, h, biasQ);
                    TransformerKernels.biasAdd(s[1], 0, len, h, biasK);
                    TransformerKernels.biasAdd(s[2], 0, len, h, biasV);
                }
                if (tokenMask != null) {
                    for (int t = 0; t < len; t++) { // the graph's (1 − mask)·value, in float
                        mask[t] = (1f - tokenMask[offsets[r] + t]) * maskAdd;
                    }
                }
                AttentionKernel.sequence(s[0], s[1], s[2], 0, len, heads, d, scale, mask, 0, s[3], 0,
                        probs == null ? null : s[4], 0, s[5]);
                out.write(at, s[3], 0, span);
                if (p != null) {
                    p.write(Math.toIntExact(probsAt[r]), s[4], 0, probsSpan);
                }
            }
        });
    }

    /** {@link #floatSequences} in float64 (the double loops); {@code mask} the additive key mask by row. */
    private static void doubleSequences(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                                        int[] offsets, int[] lengths, double[] mask, int heads, INDArray ctx,
                                        INDArray probs) {
        int rows = (int) q.rows();
        int h = (int) q.columns();
        int d = h / heads;
        double[] qa = DoublePlanKernels.load(q);
        double[] ka = DoublePlanKernels.load(k);
        double[] va = DoublePlanKernels.load(v);
        if (bq != null) {
            ScalarTransformerKernels.biasAdd(qa, 0, rows, h, bq.toDoubleVector());
            ScalarTransformerKernels.biasAdd(ka, 0, rows, h, bk.toDoubleVector());
            ScalarTransformerKernels.biasAdd(va, 0, rows, h, bv.toDoubleVector());
        }
        double[] out = DoublePlanKernels.load(ctx);
        long[] probsAt = probs == null ? null : SequenceLayout.probabilityOffsets(lengths, heads);
        double[] p = probs == null ? null : new double[Math.toIntExact(probs.length())];
        for (int r = 0; r < offsets.length; r++) {
            ScalarTransformerKernels.attention(qa, ka, va, offsets[r] * h, lengths[r], heads, d, 1 / Math.sqrt(d),
                    mask, offsets[r], out, offsets[r] * h, p, p == null ? 0 : Math.toIntExact(probsAt[r]));
        }
        DoublePlanKernels.store(ctx, out);
        if (probs != null) {
            DoublePlanKernels.store(probs, p);
        }
    }

}
