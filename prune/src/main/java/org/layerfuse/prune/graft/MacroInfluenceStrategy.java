package org.layerfuse.prune.graft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.strategy.Choice;
import org.layerfuse.prune.strategy.PruningContext;
import org.layerfuse.prune.strategy.PruningStrategy;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * FuseGPT's macro influence (section 4.2): for each live block i,
 * <pre>
 *   MI_i = 1 − cos(H, H₋ᵢ)
 * </pre>
 * where H and H₋ᵢ are the final hidden states of the model with and without block i (block i
 * replaced by an identity), the cosine taken per real token and averaged over the tokens of
 * the first {@value #DEFAULT_SAMPLES} calibration examples (see {@link TokenCosine}). The block
 * with the smallest MI, whose removal disturbs the output least, is removed (ties: the lower
 * index).
 *
 * <p>The iterative variant ({@code macro-influence}) measures MI again at every step, on the
 * model as the earlier removals and healings left it: FuseGPT's point is that the ranking
 * shifts as blocks go. The one-shot variant ({@code macro-influence-oneshot}) measures once,
 * at step 1, and then removes blocks in that order (it reads the step-1 scores back from the
 * run's records, so a resumed run chooses the same).
 */
public final class MacroInfluenceStrategy implements PruningStrategy {

    /** FuseGPT's 32 calibration samples for macro influence. */
    public static final int DEFAULT_SAMPLES = 32;
    private static final int BATCH = 32;

    private final boolean iterative;
    private final int samples;

    private MacroInfluenceStrategy(boolean iterative, int samples) {
        if (samples <= 0) {
            throw new IllegalArgumentException("macro influence needs at least one calibration sample, got " + samples);
        }
        this.iterative = iterative;
        this.samples = samples;
    }

    /** Re-measured after every removal ({@code macro-influence}). */
    public static MacroInfluenceStrategy iterative() {
        return new MacroInfluenceStrategy(true, DEFAULT_SAMPLES);
    }

    /** Measured once, at the first step ({@code macro-influence-oneshot}). */
    public static MacroInfluenceStrategy oneShot() {
        return new MacroInfluenceStrategy(false, DEFAULT_SAMPLES);
    }

    /** With another number of calibration samples. */
    public MacroInfluenceStrategy withSamples(int n) {
        return new MacroInfluenceStrategy(iterative, n);
    }

    @Override
    public String name() {
        return iterative ? "macro-influence" : "macro-influence-oneshot";
    }

    @Override
    public String displayName() {
        return iterative ? "Macro-Influence" : "Macro-Influence (one-shot)";
    }

    public boolean isIterative() {
        return iterative;
    }

    @Override
    public Choice choose(PruningContext context) {
        double[] scores;
        if (!iterative && !context.previousScores().isEmpty()) {
            scores = context.previousScores().get(0).clone();
            if (scores.length != context.signals().numLayers()) {
                throw new IllegalStateException(name() + ": the step-1 record holds " + scores.length
                        + " scores for a " + context.signals().numLayers() + "-layer model");
            }
        } else {
            scores = measure(context.requireModel(name()), context.calibration());
        }
        int best = -1;
        for (int l : context.liveLayers()) {
            if (Double.isNaN(scores[l])) {
                throw new IllegalStateException(name() + ": no score for live layer " + l);
            }
            if (best < 0 || scores[l] < scores[best]) {
                best = l;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("no live layer left to remove");
        }
        double[] shown = scores.clone();
        for (int l = 0; l < shown.length; l++) {
            if (!context.signals().isLive(l)) {
                shown[l] = Double.NaN;
            }
        }
        return new Choice(best, shown, null);
    }

    /**
     * MI of every live layer of {@code model} (NaN for removed layers), on the first
     * {@code samples} examples of {@code calibration}. The model is left as it was.
     */
    public double[] measure(BertModel model, EncodedExamples calibration) {
        EncodedExamples data = calibration.range(0, Math.min(samples, calibration.size()));
        List<INDArray> full = finalHidden(model, data);
        double[] scores = new double[model.numLayers()];
        Arrays.fill(scores, Double.NaN);
        for (int l : model.liveLayers()) {
            model.removeLayer(l);
            try {
                List<INDArray> without = finalHidden(model, data);
                scores[l] = 1 - meanCosine(full, without, data);
            } finally {
                model.restoreLayer(l);
            }
        }
        return scores;
    }

    private static List<INDArray> finalHidden(BertModel model, EncodedExamples data) {
        List<INDArray> out = new ArrayList<>();
        for (int from = 0; from < data.size(); from += BATCH) {
            // the real tokens alone: the cosine below reads only them (padding's rows are 0 and not read)
            out.add(model.forwardPacked(data.range(from, Math.min(data.size(), from + BATCH)).tokens())
                    .sequenceOutput());
        }
        return out;
    }

    /** Token-weighted mean of the per-batch mean cosines. */
    private static double meanCosine(List<INDArray> a, List<INDArray> b, EncodedExamples data) {
        double sum = 0;
        long tokens = 0;
        for (int i = 0, from = 0; i < a.size(); i++, from += BATCH) {
            int[][] mask = data.range(from, Math.min(data.size(), from + BATCH)).tokens().attentionMask();
            long n = Arrays.stream(mask).flatMapToInt(Arrays::stream).filter(v -> v != 0).count();
            sum += TokenCosine.mean(a.get(i), b.get(i), mask) * n;
            tokens += n;
        }
        return sum / tokens;
    }
}
