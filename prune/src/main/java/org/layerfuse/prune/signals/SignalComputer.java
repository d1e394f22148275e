package org.layerfuse.prune.signals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.engine.kernels.BufferKernels;
import org.layerfuse.engine.kernels.FloatView;
import org.layerfuse.engine.kernels.GradientAccumulator;
import org.layerfuse.engine.kernels.NdBuffers;
import org.layerfuse.engine.kernels.RowEntropy;
import org.layerfuse.engine.kernels.VectorKernels;
import org.layerfuse.engine.mi.GaussianMutualInformation;
import org.layerfuse.engine.mi.MutualInformationEstimator;
import org.layerfuse.engine.mi.PcaProjection;
import org.layerfuse.engine.mi.ReusedProjection;
import org.layerfuse.engine.mi.Samples;
import org.layerfuse.prune.loop.SignalSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Computes the twelve signals of every live layer on a fixed set of examples, in two passes
 * (the kernels are the Vector-API ones of {@code engine}, reading ND4J memory in place):
 * <ol>
 *   <li>a forward pass with hidden states and attention probabilities:
 *     <ul>
 *       <li>Activation Inhibition / Intensity / Energy: mean of a, |a|, a² over the layer's
 *           output at real (non-padding) tokens;</li>
 *       <li>Task-Relevance MI I(A_l; y) and Flow-Relevance MI I(A_l; A_next), with A_l the
 *           per-example mean of the layer output over real tokens, A_next that of the next
 *           live layer (the last live layer's next is the pooler output, the input of the
 *           classifier), by a pluggable {@link MutualInformationEstimator} (default:
 *           Gaussian estimate after PCA to 8 dimensions);</li>
 *       <li>Attention Entropy: mean over heads and real query tokens of −Σ_j p_j log(p_j + ε)
 *           over real keys; Attention Weight: mean over heads and real query tokens of the
 *           largest probability in the row (a plain mean of softmax rows is exactly 1/n and
 *           carries no information, so the row maximum, how strongly attention is focused, is
 *           used instead);</li>
 *     </ul></li>
 *   <li>a backward pass per mini-batch of {@code gradientBatch} examples: Gradient Magnitude
 *       = mean |∂L/∂θ| and Fisher = mean (∂L/∂θ)² over the layer's parameters and over the
 *       mini-batch gradients (an empirical Fisher from per-mini-batch, not per-example,
 *       gradients: cheaper by the batch size, and it keeps its ranking role).</li>
 * </ol>
 * Weight Norm (Frobenius norm of the six weight matrices together), Weight Sparsity
 * (fraction of exact zeros among them) and Weight Entropy (mean over the six matrices of the
 * ℓ1-normalised entropy −Σ p log(p + ε), p = |w|/‖w‖₁) need no data.
 */
public final class SignalComputer implements SignalSource {

    /** Settings; {@code batchSize} for the forward pass, {@code gradientBatch} for the gradients. */
    public record Options(int batchSize, int gradientBatch, MutualInformationEstimator mi, float eps) {
        public Options {
            if (batchSize <= 0 || gradientBatch <= 0) {
                throw new IllegalArgumentException("signal batch sizes must be > 0");
            }
        }

        public static Options defaults() {
            // each layer's activations are projected once for its three MI estimates
            return new Options(64, 8,
                    new GaussianMutualInformation(new ReusedProjection(new PcaProjection(8), 2), 1e-6),
                    VectorKernels.DEFAULT_EPS);
        }
    }

    private final EncodedExamples data;
    private final Options options;

    public SignalComputer(EncodedExamples data, Options options) {
        if (data.size() < 4) {
            throw new IllegalArgumentException("signals need at least 4 examples, got " + data.size());
        }
        this.data = data;
        this.options = options;
    }

    @Override
    public LayerSignals compute(BertModel model) {
        int layers = model.numLayers();
        int[] live = model.liveLayers();
        int hidden = model.config().hiddenSize();
        int heads = model.config().numAttentionHeads();
        int n = data.size();
        double[][] values = new double[layers][];
        double[] sum = new double[layers];
        double[] sumAbs = new double[layers];
        double[] sumSq = new double[layers];
        double[] entropyWeighted = new double[layers];
        double[] maxProbWeighted = new double[layers];
        long realTokens = 0;
        long realQueries = 0;
        Map<Integer, float[]> pooled = new HashMap<>();
        for (int l : live) {
            pooled.put(l, new float[n * hidden]);
        }
        float[] next = null;

        for (int from = 0; from < n; from += options.batchSize()) {
            int to = Math.min(n, from + options.batchSize());
            EncodedExamples batch = data.range(from, to);
            int b = to - from;
            int s = batch.tokens().seqLen();
            Forward f = model.forward(batch.tokens(), true, true);
            float[] tokenMask = new float[b * s];
            int[] realRows = realRows(batch, tokenMask);
            realTokens += realRows.length;
            realQueries += (long) realRows.length * heads;
            INDArray maskColumn = Nd4j.create(tokenMask, new long[] {b, s, 1}, 'c');
            INDArray counts = maskColumn.sum(1);
            for (int l : live) {
                INDArray h = f.hiddenStates().get(l);
                INDArray real = Nd4j.pullRows(h.reshape(b * s, hidden), 1, realRows);
                FloatView view = NdBuffers.floatView(real);
                sum[l] += BufferKernels.sum(view);
                sumAbs[l] += BufferKernels.sumAbs(view);
                sumSq[l] += BufferKernels.sumSquares(view);
                copyRows(h.mul(maskColumn).sum(1).diviColumnVector(counts), pooled.get(l), from, hidden);

                INDArray probs = f.attention().get(l);
                float[] rowMask = RowEntropy.attentionRowMask(tokenMask, b, heads, s);
                double meanEntropy = RowEntropy.maskedMean(NdBuffers.floatView(probs), b * heads * s, s, tokenMask,
                        heads * s, rowMask, options.eps());
                entropyWeighted[l] += meanEntropy * realRows.length * heads;
                maxProbWeighted[l] += maskedRowMaxSum(probs.max(3), rowMask);
            }
            if (f.pooled() == null) {
                throw new IllegalStateException("signals need a model with a pooler (a classification model)");
            }
            if (next == null) {
                next = new float[n * (int) f.pooled().columns()];
            }
            copyRows(f.pooled(), next, from, (int) f.pooled().columns());
        }

        Map<Integer, GradientAccumulator> grads = new HashMap<>();
        List<String> layerParams = new ArrayList<>();
        for (int l : live) {
            grads.put(l, new GradientAccumulator());
            ParamNames.layerParams(model.config(), l).forEach(e -> layerParams.add(e.name()));
        }
        for (int from = 0; from < n; from += options.gradientBatch()) {
            int to = Math.min(n, from + options.gradientBatch());
            EncodedExamples batch = data.range(from, to);
            // the layers' parameters only: no embedding-table gradients (MiniLM: 47 MB a call)
            Gradients g = model.gradients(batch.tokens(), batch.labels(), layerParams);
            for (int l : live) {
                for (ParamNames.Entry e : ParamNames.layerParams(model.config(), l)) {
                    grads.get(l).add(NdBuffers.floatView(g.byParameter().get(e.name())));
                }
            }
            g.free(); // the layers' gradients (MiniLM: 43 MB) per call otherwise wait for the GC
        }

        for (int k = 0; k < live.length; k++) {
            int l = live[k];
            double count = (double) realTokens * hidden;
            Samples a = new Samples(pooled.get(l), n, hidden);
            Samples following = k + 1 < live.length ? new Samples(pooled.get(live[k + 1]), n, hidden)
                    : new Samples(next, n, next.length / n);
            double[] v = new double[Signal.values().length];
            v[Signal.ACTIVATION_INHIBITION.ordinal()] = sum[l] / count;
            v[Signal.ACTIVATION_INTENSITY.ordinal()] = sumAbs[l] / count;
            v[Signal.ACTIVATION_ENERGY.ordinal()] = sumSq[l] / count;
            v[Signal.TASK_RELEVANCE_MI.ordinal()] = options.mi().mutualInformation(a, data.labels());
            v[Signal.FLOW_RELEVANCE_MI.ordinal()] = options.mi().mutualInformation(a, following);
            v[Signal.GRADIENT_MAGNITUDE.ordinal()] = grads.get(l).meanAbs();
            v[Signal.GRADIENT_FISHER.ordinal()] = grads.get(l).meanSquare();
            weightSignals(model, l, v);
            v[Signal.ATTENTION_WEIGHT.ordinal()] = maxProbWeighted[l] / realQueries;
            v[Signal.ATTENTION_ENTROPY.ordinal()] = entropyWeighted[l] / realQueries;
            values[l] = v;
        }
        return new LayerSignals(model.liveMask(), values);
    }

    private void weightSignals(BertModel model, int layer, double[] v) {
        double squares = 0;
        long zeros = 0;
        long size = 0;
        double entropy = 0;
        ParamNames.LayerMatrix[] matrices = ParamNames.LayerMatrix.values();
        for (ParamNames.LayerMatrix m : matrices) {
            FloatView w = NdBuffers.floatView(model.parameter(m.kernel(layer)));
            squares += BufferKernels.sumSquares(w);
            zeros += BufferKernels.countZeros(w);
            size += w.length();
            entropy += BufferKernels.l1Entropy(w, options.eps());
        }
        v[Signal.WEIGHT_NORM.ordinal()] = Math.sqrt(squares);
        v[Signal.WEIGHT_SPARSITY.ordinal()] = (double) zeros / size;
        v[Signal.WEIGHT_ENTROPY.ordinal()] = entropy / matrices.length;
    }

    /** Indices (row-major b·s + t) of real tokens; fills the float token mask. */
    private static int[] realRows(EncodedExamples batch, float[] tokenMask) {
        int[][] mask = batch.tokens().attentionMask();
        int s = batch.tokens().seqLen();
        int count = 0;
        for (int r = 0; r < mask.length; r++) {
            for (int t = 0; t < s; t++) {
                tokenMask[r * s + t] = mask[r][t];
                count += mask[r][t] != 0 ? 1 : 0;
            }
        }
        int[] rows = new int[count];
        int k = 0;
        for (int i = 0; i < tokenMask.length; i++) {
            if (tokenMask[i] != 0) {
                rows[k++] = i;
            }
        }
        return rows;
    }

    /** Σ over rows with weight 1 of the row maximum {@code [b, h, s]} (row order as the mask). */
    private static double maskedRowMaxSum(INDArray rowMax, float[] rowMask) {
        float[] max = rowMax.dup('c').data().asFloat();
        double total = 0;
        for (int i = 0; i < max.length; i++) {
            total += rowMask[i] * max[i];
        }
        return total;
    }

    private static void copyRows(INDArray matrix, float[] target, int fromRow, int cols) {
        float[] src = matrix.dup('c').data().asFloat();
        System.arraycopy(src, 0, target, fromRow * cols, src.length);
    }
}
