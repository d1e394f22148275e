package org.layerfuse.bert;

import org.layerfuse.engine.fused.AttentionKernel;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.TransformerKernels;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link PlanKernels} for float32: blocks of rows are copied from the native buffer into a
 * per-thread heap array (a bulk copy, a few hundred kB/ms cheaper than the kernels' work),
 * transformed there by the {@code engine.fused} Vector-API kernels, and copied back; the rows
 * are split over {@link ParallelRows}. Attention takes one whole sequence at a time (its
 * {@code S × H} rows of Q, K and V are contiguous), so no head is ever permuted.
 */
final class FloatPlanKernels implements PlanKernels {

    /** Floats per staged block: fits L2 with room for a residual block beside it. */
    private static final int BLOCK_FLOATS = 16 * 1024;
    /** Fewer rows than this are not worth a second thread. */
    private static final int MIN_PARALLEL_FLOATS = 32 * 1024;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread work arrays, grown on demand and kept. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] c = new float[0];
        float[] d = new float[0];
        float[] e = new float[0];
        float[] work = new float[0];

        static float[] atLeast(float[] array, int n) {
            return array.length >= n ? array : new float[n];
        }
    }

    @Override
    public void embeddings(INDArray out, ModelInputs.Flat tokens, INDArray word, INDArray position, INDArray type,
                           INDArray gamma, INDArray beta, double eps) {
        int h = (int) out.columns();
        NativeFloats.Span dst = NativeFloats.of(out, "embedding output");
        NativeFloats.Span words = NativeFloats.of(word, ParamNames.WORD_EMBEDDINGS);
        NativeFloats.Span positions = NativeFloats.of(position, ParamNames.POSITION_EMBEDDINGS);
        NativeFloats.Span types = NativeFloats.of(type, ParamNames.TOKEN_TYPE_EMBEDDINGS);
        float[] g = gamma.toFloatVector();
        float[] bt = beta.toFloatVector();
        int rows = tokens.ids().length;
        int block = Math.max(1, BLOCK_FLOATS / h);
        ParallelRows.run(rows, minRows(h), (from, to) -> {
            Scratch s = SCRATCH.get();
            s.a = Scratch.atLeast(s.a, block * h);
            s.b = Scratch.atLeast(s.b, h);
            float[] x = s.a;
            float[] row = s.b;
            for (int r0 = from; r0 < to; r0 += block) {
                int count = Math.min(block, to - r0);
                for (int i = 0; i < count; i++) {
                    int t = r0 + i;
                    words.read(tokens.ids()[t] * h, x, i * h, h);
                    positions.read(tokens.positions()[t] * h, row, 0, h);
                    TransformerKernels.biasAdd(x, i * h, 1, h, row);
                    types.read(tokens.types()[t] * h, row, 0, h);
                    TransformerKernels.biasAdd(x, i * h, 1, h, row);
                }
                TransformerKernels.biasResidualLayerNorm(x, 0, count, h, null, null, 0, g, bt, (float) eps);
                dst.write(r0 * h, x, 0, count * h);
            }
        });
        java.lang.ref.Reference.reachabilityFence(word);
    }

    @Override
    public void biasActivation(INDArray x, INDArray bias, Activation activation) {
        int cols = (int) x.columns();
        NativeFloats.Span span = NativeFloats.of(x, "activation input");
        float[] b = bias.toFloatVector();
        int block = Math.max(1, BLOCK_FLOATS / cols);
        ParallelRows.run((int) x.rows(), minRows(cols), (from, to) -> {
            Scratch s = SCRATCH.get();
            s.a = Scratch.atLeast(s.a, block * cols);
            float[] buf = s.a;
            for (int r0 = from; r0 < to; r0 += block) {
                int count = Math.min(block, to - r0);
                span.read(r0 * cols, buf, 0, count * cols);
                switch (activation) {
                    case GELU_ERF -> TransformerKernels.biasGeluErf(buf, 0, count, cols, b);
                    case GELU_TANH -> TransformerKernels.biasGeluTanh(buf, 0, count, cols, b);
                    case RELU -> TransformerKernels.biasRelu(buf, 0, count, cols, b);
                }
                span.write(r0 * cols, buf, 0, count * cols);
            }
        });
    }

    @Override
    public void biasResidualLayerNorm(INDArray x, INDArray bias, INDArray residual, INDArray gamma, INDArray beta,
                                      double eps) {
        int cols = (int) x.columns();
        NativeFloats.Span span = NativeFloats.of(x, "layer norm input");
        NativeFloats.Span res = NativeFloats.of(residual, "residual");
        float[] b = bias.toFloatVector();
        float[] g = gamma.toFloatVector();
        float[] bt = beta.toFloatVector();
        int block = Math.max(1, BLOCK_FLOATS / cols);
        ParallelRows.run((int) x.rows(), minRows(cols), (from, to) -> {
            Scratch s = SCRATCH.get();
            s.a = Scratch.atLeast(s.a, block * cols);
            s.b = Scratch.atLeast(s.b, block * cols);
            float[] buf = s.a;
            float[] resBuf = s.b;
            for (int r0 = from; r0 < to; r0 += block) {
                int count = Math.min(block, to - r0);
                span.read(r0 * cols, buf, 0, count * cols);
                res.read(r0 * cols, resBuf, 0, count * cols);
                TransformerKernels.biasResidualLayerNorm(buf, 0, count, cols, b, resBuf, 0, g, bt, (float) eps);
                span.write(r0 * cols, buf, 0, count * cols);
            }
        });
    }

    @Override
    public void attention(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                          ModelInputs.Flat tokens, double maskValue, int heads, INDArray ctx, INDArray probs) {
        int h = (int) q.columns();
        int d = h / heads;
        int seq = tokens.seqLen();
        int span = seq * h;
        float scale = (float) (1.0 / Math.sqrt(d));
        float maskAdd = (float) maskValue;
        NativeFloats.Span qs = NativeFloats.of(q, "query");
        NativeFloats.Span ks = NativeFloats.of(k, "key");
        NativeFloats.Span vs = NativeFloats.of(v, "value");
        NativeFloats.Span out = NativeFloats.of(ctx, "context");
        NativeFloats.Span p = probs == null ? null : NativeFloats.of(probs, "attention probabilities");
        float[] biasQ = bq.toFloatVector();
        float[] biasK = bk.toFloatVector();
        float[] biasV = bv.toFloatVector();
        int probsSpan = heads * seq * seq;
        ParallelRows.run(tokens.batchSize(), 1, (from, to) -> {
            Scratch s = SCRATCH.get();
            s.a = Scratch.atLeast(s.a, span);
            s.b = Scratch.atLeast(s.b, span);
            s.c = Scratch.atLeast(s.c, span);
            s.d = Scratch.atLeast(s.d, span + seq);
            s.e = Scratch.atLeast(s.e, probs == null ? 0 : probsSpan);
            s.work = Scratch.atLeast(s.work, AttentionKernel.workSize(seq, d));
            float[] mask = new float[seq];
            for (int r = from; r < to; r++) {
                qs.read(r * span, s.a, 0, span);
                ks.read(r * span, s.b, 0, span);
                vs.read(r * span, s.c, 0, span);
                TransformerKernels.biasAdd(s.a, 0, seq, h, biasQ);
                TransformerKernels.biasAdd(s.b, 0, seq, h, biasK);
                TransformerKernels.biasAdd(s.c, 0, seq, h, biasV);
                for (int t = 0; t < seq; t++) {
                    mask[t] = (1f - tokens.mask()[r * seq + t]) * maskAdd; // the graph's (1 − mask)·value, in float
                }
                AttentionKernel.sequence(s.a, s.b, s.c, 0, seq, heads, d, scale, mask, 0, s.d, 0,
                        probs == null ? null : s.e, 0, s.work);
                out.write(r * span, s.d, 0, span);
                if (p != null) {
                    p.write(r * probsSpan, s.e, 0, probsSpan);
                }
            }
        });
    }

    private static int minRows(int cols) {
        return Math.max(1, MIN_PARALLEL_FLOATS / cols);
    }
}
