package org.layerfuse.bert;

import org.layerfuse.engine.fused.FloatExp;
import org.layerfuse.engine.fused.Gemm;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.fused.NativeLayerNorm;
import org.layerfuse.engine.fused.ParallelRows;
import org.layerfuse.engine.fused.TransformerKernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link PlanKernels} for float32, the rows split over {@link ParallelRows}: bias + GELU reads and
 * writes the native rows directly ({@link NativeGelu}), residual + layer norm goes a row at a time
 * through an L1-sized heap row ({@link NativeLayerNorm}); the embeddings and bias + ReLU copy
 * blocks of rows into a per-thread heap array (a bulk copy, cheap against the kernels' work),
 * transform them there with the {@code engine.fused} Vector-API kernels and copy them back.
 * Attention is {@link SequenceAttention}'s (one whole sequence at a time: its {@code S × H} rows
 * of Q, K and V are contiguous, so no head is ever permuted).
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
        float[] g = NativeFloats.toArray(gamma);
        float[] bt = NativeFloats.toArray(beta);
        int rows = tokens.ids().length;
        int block = Math.max(1, BLOCK_FLOATS / h);
        ParallelRows.each(rows, minRows(h), (from, to) -> {
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
        float[] b = NativeFloats.toArray(bias);
        if (activation != Activation.RELU) {
            // GELU in one pass over the native rows (NativeGelu: the heap kernels' bits, no copies)
            boolean erf = activation == Activation.GELU_ERF;
            ParallelRows.each((int) x.rows(), minRows(cols), (from, to) -> {
                int at = span.start() + from * cols;
                if (erf) {
                    NativeGelu.biasGeluErf(span.bytes(), at, span.bytes(), at, to - from, cols, b);
                } else {
                    NativeGelu.biasGeluTanh(span.bytes(), at, span.bytes(), at, to - from, cols, b);
                }
            });
            java.lang.ref.Reference.reachabilityFence(x);
            return;
        }
        int block = Math.max(1, BLOCK_FLOATS / cols);
        ParallelRows.each((int) x.rows(), minRows(cols), (from, to) -> {
            Scratch s = SCRATCH.get();
            s.a = Scratch.atLeast(s.a, block * cols);
            float[] buf = s.a;
            for (int r0 = from; r0 < to; r0 += block) {
                int count = Math.min(block, to - r0);
                span.read(r0 * cols, buf, 0, count * cols);
                TransformerKernels.biasRelu(buf, 0, count, cols, b);
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
        float[] b = NativeFloats.toArray(bias);
        float[] g = NativeFloats.toArray(gamma);
        float[] bt = NativeFloats.toArray(beta);
        // a row at a time through an L1-sized heap row (NativeLayerNorm: the heap kernel, its bits)
        ParallelRows.each((int) x.rows(), minRows(cols), (from, to) -> {
            int at = span.start() + from * cols;
            NativeLayerNorm.forward(span.bytes(), at, res.bytes(), res.start() + from * cols, span.bytes(), at,
                    to - from, cols, b, g, bt, (float) eps);
        });
        java.lang.ref.Reference.reachabilityFence(x);
        java.lang.ref.Reference.reachabilityFence(residual);
    }

    /**
     * The head without ND4J's element-wise ops: the first tokens' rows copied out, one matrix
     * product into a fresh array, bias and tanh by the Vector-API kernels, and the classifier
     * ({@code [H, labels]}, a few labels) as a scalar loop. ND4J's pullRows, mmul, addiRowVector
     * and tanh took ≈ 3.4 ms here on MiniLM at 32 × 32, mostly each call's fixed cost.
     */
    @Override
    public INDArray[] head(INDArray hidden, int[] firstRows, INDArray poolerKernel, INDArray poolerBias,
                           INDArray classifierKernel, INDArray classifierBias) {
        int batch = firstRows.length;
        int h = (int) hidden.columns();
        int p = (int) poolerKernel.columns();
        NativeFloats.Span rows = NativeFloats.of(hidden, "sequence output");
        float[] first = new float[batch * h];
        for (int r = 0; r < batch; r++) {
            rows.read(firstRows[r] * h, first, r * h, h);
        }
        float[] pooled = new float[batch * p];
        try (INDArray cls = Nd4j.create(first, new long[] {batch, h}, 'c');
             INDArray product = Nd4j.create(DataType.FLOAT, batch, p)) {
            Gemm.gemm(cls, poolerKernel, product, false, false, 1.0, 0.0);
            NativeFloats.of(product, "pooler product").read(0, pooled, 0, pooled.length);
        }
        TransformerKernels.biasAdd(pooled, 0, batch, p, NativeFloats.toArray(poolerBias));
        FloatExp.tanh(pooled, 0, pooled, 0, pooled.length);
        INDArray logits = null;
        if (classifierKernel != null) {
            int labels = (int) classifierKernel.columns();
            float[] w = NativeFloats.toArray(classifierKernel);
            float[] b = NativeFloats.toArray(classifierBias);
            float[] out = new float[batch * labels];
            for (int r = 0; r < batch; r++) {
                for (int c = 0; c < labels; c++) {
                    float acc = 0f;
                    for (int k = 0; k < p; k++) {
                        acc = Math.fma(pooled[r * p + k], w[k * labels + c], acc);
                    }
                    out[r * labels + c] = acc + b[c];
                }
            }
            logits = Nd4j.create(out, new long[] {batch, labels}, 'c');
        }
        return new INDArray[] {Nd4j.create(pooled, new long[] {batch, p}, 'c'), logits};
    }

    private static int minRows(int cols) {
        return Math.max(1, MIN_PARALLEL_FLOATS / cols);
    }
}
