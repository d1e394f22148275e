package org.layerfuse.bench.kernels;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.layerfuse.engine.fused.AttentionKernel;
import org.layerfuse.engine.fused.BackwardKernels;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.fused.NativeLayerNorm;
import org.layerfuse.engine.fused.NativeRows;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.layerfuse.engine.fused.TransformerKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fused forward's kernels ({@code engine.fused}) on one layer's real shapes, single-threaded,
 * each against its double loop in {@link ScalarTransformerKernels}: {@code minilm} = MiniLM at
 * batch 32 × 32 tokens (H = 384, FFN 1536, 12 heads of 32), {@code bert-base} = BERT-base at
 * 32 × 128 (H = 768, FFN 3072, 12 heads of 64). In-place kernels get fresh inputs before every
 * call (a copy outside the timed method), as the forward's kernels get fresh GEMM output:
 * re-applied to their own output, tanh-GELU and softmax drifted into values that ran 4–9×
 * slower (measured).
 * Methods are {@code <kernel>Scalar} / {@code <kernel>Vector}, paired by {@link KernelBenchReport}.
 * Warm-up is longer than {@link KernelBench}'s: with 0.5 s on a loaded 2-core machine the
 * attention loop was still running before C2 had compiled it (measured 0.1× the scalar loop).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms3g", "-Xmx3g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
public class FusedKernelBench {

    @Param({"minilm", "bert-base"})
    public String shape;

    int tokens;
    int hidden;
    int ffn;
    int seq;
    int heads;
    int headSize;

    float[] ffnBlock;
    float[] hiddenBlock;
    float[] residual;
    float[] bias;
    float[] gamma;
    float[] beta;
    float[] scores;
    float[] mask;
    float[] qkv;
    float[] context;
    float[] work;
    double[] ffnBlockD;
    double[] hiddenBlockD;
    double[] residualD;
    double[] biasD;
    double[] gammaD;
    double[] betaD;
    double[] scoresD;
    double[] maskD;
    double[] qkvD;
    double[] contextD;

    @Setup(Level.Trial)
    public void fill() {
        boolean mini = shape.equals("minilm");
        seq = mini ? 32 : 128;
        tokens = 32 * seq;
        hidden = mini ? 384 : 768;
        ffn = 4 * hidden;
        heads = 12;
        headSize = hidden / heads;
        ffnBlock = values(tokens * ffn, 1);
        hiddenBlock = values(tokens * hidden, 2);
        residual = values(tokens * hidden, 3);
        bias = values(ffn, 4);
        gamma = values(hidden, 5);
        beta = values(hidden, 6);
        scores = values(32 * heads * seq * seq, 7);
        mask = new float[seq];
        for (int j = seq * 3 / 4; j < seq; j++) {
            mask[j] = -10000f; // a quarter padding
        }
        qkv = values(seq * hidden, 8);
        context = new float[seq * hidden];
        work = new float[AttentionKernel.workSize(seq, headSize)];
        ffnBlockD = toDouble(ffnBlock);
        hiddenBlockD = toDouble(hiddenBlock);
        residualD = toDouble(residual);
        biasD = toDouble(bias);
        gammaD = toDouble(gamma);
        betaD = toDouble(beta);
        scoresD = toDouble(scores);
        maskD = toDouble(mask);
        qkvD = toDouble(qkv);
        contextD = new double[seq * hidden];
    }

    float[] ffnFresh;
    float[] hiddenFresh;
    float[] scoresFresh;

    /** Restores the in-place kernels' inputs (not timed). */
    @Setup(Level.Invocation)
    public void refresh() {
        if (ffnFresh == null) {
            ffnFresh = ffnBlock.clone();
            hiddenFresh = hiddenBlock.clone();
            scoresFresh = scores.clone();
        }
        System.arraycopy(ffnFresh, 0, ffnBlock, 0, ffnBlock.length);
        System.arraycopy(hiddenFresh, 0, hiddenBlock, 0, hiddenBlock.length);
        System.arraycopy(scoresFresh, 0, scores, 0, scores.length);
    }

    private static float[] values(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble(-2, 2);
        }
        return v;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Benchmark
    public float[] biasGeluErfVector() {
        TransformerKernels.biasGeluErf(ffnBlock, 0, tokens, ffn, bias);
        return ffnBlock;
    }

    @Benchmark
    public double[] biasGeluErfScalar() {
        ScalarTransformerKernels.biasGeluErf(ffnBlockD, 0, tokens, ffn, biasD);
        return ffnBlockD;
    }

    @Benchmark
    public float[] biasGeluTanhVector() {
        TransformerKernels.biasGeluTanh(ffnBlock, 0, tokens, ffn, bias);
        return ffnBlock;
    }

    java.nio.ByteBuffer ffnNative;
    java.nio.ByteBuffer hiddenNative;
    java.nio.ByteBuffer residualNative;

    /** The FFN and hidden blocks in native memory, restored before every call (not timed). */
    @Setup(Level.Invocation)
    public void refreshNative() {
        if (ffnNative == null) {
            ffnNative = direct(ffnBlock.length);
            hiddenNative = direct(hiddenBlock.length);
            residualNative = direct(residual.length);
            residualNative.asFloatBuffer().put(0, residual);
        }
        ffnNative.asFloatBuffer().put(0, ffnFresh == null ? ffnBlock : ffnFresh);
        hiddenNative.asFloatBuffer().put(0, hiddenFresh == null ? hiddenBlock : hiddenFresh);
    }

    private static java.nio.ByteBuffer direct(int floats) {
        return java.nio.ByteBuffer.allocateDirect(floats * Float.BYTES).order(java.nio.ByteOrder.nativeOrder());
    }

    /** A dense layer's bias over the FFN's [tokens, 4H] output, in place (the training graph's bias add). */
    @Benchmark
    public float[] biasAddVector() {
        TransformerKernels.biasAdd(ffnBlock, 0, tokens, ffn, bias);
        return ffnBlock;
    }

    @Benchmark
    public double[] biasAddScalar() {
        ScalarTransformerKernels.biasAdd(ffnBlockD, 0, tokens, ffn, biasD);
        return ffnBlockD;
    }

    /** {@link NativeRows#biasAdd}: the same over native memory, no copies in and out. */
    @Benchmark
    public java.nio.ByteBuffer biasAddNative() {
        NativeRows.biasAdd(ffnNative, 0, tokens, ffn, bias);
        return ffnNative;
    }

    /** {@link NativeGelu}: the same GELU in one pass over native memory (no copies in and out). */
    @Benchmark
    public java.nio.ByteBuffer biasGeluErfNative() {
        NativeGelu.biasGeluErf(ffnNative, 0, ffnNative, 0, tokens, ffn, bias);
        return ffnNative;
    }

    @Benchmark
    public java.nio.ByteBuffer biasGeluTanhNative() {
        NativeGelu.biasGeluTanh(ffnNative, 0, ffnNative, 0, tokens, ffn, bias);
        return ffnNative;
    }

    @Benchmark
    public double[] biasGeluTanhScalar() {
        ScalarTransformerKernels.biasGeluTanh(ffnBlockD, 0, tokens, ffn, biasD);
        return ffnBlockD;
    }

    @Benchmark
    public float[] biasResidualLayerNormVector() {
        TransformerKernels.biasResidualLayerNorm(hiddenBlock, 0, tokens, hidden, bias, residual, 0, gamma, beta, 1e-12f);
        return hiddenBlock;
    }

    /** {@link NativeLayerNorm#forward}: the same row by row over native memory, no copies in and out. */
    @Benchmark
    public java.nio.ByteBuffer biasResidualLayerNormNative() {
        NativeLayerNorm.forward(hiddenNative, 0, residualNative, 0, hiddenNative, 0, tokens, hidden, bias, gamma, beta,
                1e-12f);
        return hiddenNative;
    }

    @Benchmark
    public double[] biasResidualLayerNormScalar() {
        ScalarTransformerKernels.biasResidualLayerNorm(hiddenBlockD, 0, tokens, hidden, biasD, residualD, 0, gammaD,
                betaD, 1e-12);
        return hiddenBlockD;
    }

    /** All attention rows of one layer: 32 sequences × 12 heads × S rows of S scores. */
    @Benchmark
    public float[] scaleMaskSoftmaxVector() {
        TransformerKernels.scaleMaskSoftmax(scores, 0, 32 * heads * seq, seq, seq, 0.125f, mask, 0);
        return scores;
    }

    @Benchmark
    public double[] scaleMaskSoftmaxScalar() {
        ScalarTransformerKernels.scaleMaskSoftmax(scoresD, 0, 32 * heads * seq, seq, seq, 0.125, maskD, 0);
        return scoresD;
    }

    /**
     * The same rows as the softmax above, laid out as the fused forward's batched attention
     * holds them (transposed: a key per row, the softmax down the columns), one (sequence, head)
     * block after another.
     */
    @Benchmark
    public float[] softmaxKeysVector() {
        for (int b = 0, block = seq * seq; b < 32 * heads; b++) {
            AttentionKernel.softmaxKeys(scores, b * block, seq, seq, 0.125f, mask, 0);
        }
        return scores;
    }

    @Benchmark
    public double[] softmaxKeysScalar() {
        ScalarTransformerKernels.scaleMaskSoftmax(scoresD, 0, 32 * heads * seq, seq, seq, 0.125, maskD, 0);
        return scoresD;
    }

    /** One sequence, all heads (the forward runs 32 of these per layer). */
    @Benchmark
    public float[] attentionVector() {
        AttentionKernel.sequence(qkv, qkv, qkv, 0, seq, heads, headSize, 0.125f, mask, 0, context, 0, null, 0, work);
        return context;
    }

    @Benchmark
    public double[] attentionScalar() {
        ScalarTransformerKernels.attention(qkvD, qkvD, qkvD, 0, seq, heads, headSize, 0.125, maskD, 0, contextD, 0, null,
                0);
        return contextD;
    }

    // The training graph's kernels (gradients), same shapes. Their outputs are separate arrays,
    // so no refresh is needed.

    float[] gradOut;
    double[] gradOutD;
    float[] probs;
    float[] dq;
    float[] dk;
    float[] dv;
    float[] backwardWork;
    double[] probsD;
    double[] dqD;
    double[] dkD;
    double[] dvD;

    @Setup(Level.Trial)
    public void fillBackward() {
        gradOut = new float[tokens * ffn];
        gradOutD = new double[tokens * ffn];
        probs = new float[heads * seq * seq];
        AttentionKernel.sequence(qkv, qkv, qkv, 0, seq, heads, headSize, 0.125f, mask, 0, context, 0, probs, 0, work);
        probsD = toDouble(probs);
        dq = new float[seq * hidden];
        dk = new float[seq * hidden];
        dv = new float[seq * hidden];
        dqD = new double[seq * hidden];
        dkD = new double[seq * hidden];
        dvD = new double[seq * hidden];
        backwardWork = new float[AttentionKernel.backwardWorkSize(seq, headSize)];
    }

    @Benchmark
    public float[] layerNormBackwardVector() {
        float[] dGamma = new float[hidden];
        BackwardKernels.layerNorm(hiddenFresh(), residual, gradOut, 0, tokens, hidden, gamma, 1e-12f, dGamma,
                new float[hidden]);
        return dGamma;
    }

    /** {@link NativeLayerNorm#backward}: x and dy read, dx written, over native memory. */
    @Benchmark
    public float[] layerNormBackwardNative() {
        float[] dGamma = new float[hidden];
        NativeLayerNorm.backward(hiddenNative, 0, residualNative, 0, hiddenGradNative(), 0, tokens, hidden, gamma,
                1e-12f, dGamma, new float[hidden]);
        return dGamma;
    }

    java.nio.ByteBuffer hiddenGradNative;

    private java.nio.ByteBuffer hiddenGradNative() {
        if (hiddenGradNative == null) {
            hiddenGradNative = direct(tokens * hidden);
        }
        return hiddenGradNative;
    }

    @Benchmark
    public double[] layerNormBackwardScalar() {
        double[] dGamma = new double[hidden];
        ScalarBackwardKernels.layerNorm(hiddenBlockD, residualD, gradOutD, 0, tokens, hidden, gammaD, 1e-12, dGamma,
                new double[hidden]);
        return dGamma;
    }

    @Benchmark
    public float[] geluErfBackwardVector() {
        BackwardKernels.geluErf(ffnFresh(), ffnFresh(), gradOut, 0, tokens * ffn);
        return gradOut;
    }

    @Benchmark
    public double[] geluErfBackwardScalar() {
        for (int i = 0; i < tokens * ffn; i++) {
            gradOutD[i] = ffnBlockD[i] * ScalarBackwardKernels.geluErfGrad(ffnBlockD[i]);
        }
        return gradOutD;
    }

    @Benchmark
    public float[] geluTanhBackwardVector() {
        BackwardKernels.geluTanh(ffnFresh(), ffnFresh(), gradOut, 0, tokens * ffn);
        return gradOut;
    }

    @Benchmark
    public double[] geluTanhBackwardScalar() {
        for (int i = 0; i < tokens * ffn; i++) {
            gradOutD[i] = ffnBlockD[i] * ScalarBackwardKernels.geluTanhGrad(ffnBlockD[i]);
        }
        return gradOutD;
    }

    java.nio.ByteBuffer wordTable;
    java.nio.ByteBuffer positionTable;
    java.nio.ByteBuffer typeTable;
    int[] wordRows;
    int[] positionRows;
    int[] typeRows;
    float[][] wordTableHeap;
    float[][] positionTableHeap;
    float[][] typeTableHeap;

    /**
     * BERT's three embedding tables (vocabulary 30 522, 512 positions, 2 types) and a batch's rows,
     * made at the embedding-sum benchmarks' first (warm-up) call only, so the other benchmarks
     * do not fill 47–94 MB of tables they never read.
     */
    private void tables() {
        SplittableRandom r = new SplittableRandom(9);
        wordTableHeap = new float[30_522][];
        positionTableHeap = new float[512][];
        typeTableHeap = new float[2][];
        wordTable = table(wordTableHeap, r);
        positionTable = table(positionTableHeap, r);
        typeTable = table(typeTableHeap, r);
        wordRows = new int[tokens];
        positionRows = new int[tokens];
        typeRows = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            wordRows[i] = r.nextInt(30_522);
            positionRows[i] = i % seq;
            typeRows[i] = (i % seq) < seq / 2 ? 0 : 1;
        }
    }

    private java.nio.ByteBuffer table(float[][] heap, SplittableRandom r) {
        java.nio.ByteBuffer b = direct(heap.length * hidden);
        for (int row = 0; row < heap.length; row++) {
            heap[row] = new float[hidden];
            for (int c = 0; c < hidden; c++) {
                heap[row][c] = (float) r.nextDouble(-0.1, 0.1);
                b.putFloat((row * hidden + c) * Float.BYTES, heap[row][c]);
            }
        }
        return b;
    }

    /**
     * The embedding sum of a batch, word + position + token-type rows gathered from native tables
     * into the graph's [tokens, H] array ({@link NativeRows#sumOfRows}).
     */
    @Benchmark
    public java.nio.ByteBuffer embeddingSumVector() {
        if (wordTable == null) {
            tables();
        }
        NativeRows.sumOfRows(hiddenNative, 0, hidden, wordTable, wordRows, positionTable, positionRows, typeTable,
                typeRows);
        return hiddenNative;
    }

    @Benchmark
    public double[] embeddingSumScalar() {
        if (wordTable == null) {
            tables();
        }
        for (int i = 0; i < tokens; i++) {
            float[] w = wordTableHeap[wordRows[i]];
            float[] p = positionTableHeap[positionRows[i]];
            float[] t = typeTableHeap[typeRows[i]];
            for (int c = 0; c < hidden; c++) {
                hiddenBlockD[i * hidden + c] = (double) w[c] + p[c] + t[c];
            }
        }
        return hiddenBlockD;
    }

    /** A dense layer's bias gradient over the FFN's [tokens, 4H] output gradient. */
    @Benchmark
    public float[] columnSumsVector() {
        float[] acc = new float[ffn];
        BackwardKernels.columnSums(ffnFresh(), 0, tokens, ffn, acc);
        return acc;
    }

    /** {@link NativeRows#columnSums}: the same over native memory. */
    @Benchmark
    public float[] columnSumsNative() {
        float[] acc = new float[ffn];
        NativeRows.columnSums(ffnNative, 0, tokens, ffn, acc);
        return acc;
    }

    @Benchmark
    public double[] columnSumsScalar() {
        double[] acc = new double[ffn];
        ScalarBackwardKernels.columnSums(ffnBlockD, 0, tokens, ffn, acc);
        return acc;
    }

    /** One sequence, all heads: dQ, dK, dV from the context gradient. */
    @Benchmark
    public float[] attentionBackwardVector() {
        AttentionKernel.sequenceBackward(qkv, qkv, qkv, context, 0, seq, heads, headSize, 0.125f, probs, 0, dq, dk, dv,
                backwardWork);
        return dq;
    }

    @Benchmark
    public double[] attentionBackwardScalar() {
        ScalarBackwardKernels.attention(qkvD, qkvD, qkvD, contextD, 0, seq, heads, headSize, 0.125, probsD, 0, dqD, dkD,
                dvD);
        return dqD;
    }

    /** The unmodified inputs (the backward kernels read them only). */
    private float[] hiddenFresh() {
        return hiddenFresh != null ? hiddenFresh : hiddenBlock;
    }

    private float[] ffnFresh() {
        return ffnFresh != null ? ffnFresh : ffnBlock;
    }
}
