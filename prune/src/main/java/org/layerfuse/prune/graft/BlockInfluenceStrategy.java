package org.layerfuse.prune.graft;

import java.util.Arrays;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.strategy.Choice;
import org.layerfuse.prune.strategy.PruningContext;
import org.layerfuse.prune.strategy.PruningStrategy;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ShortGPT's block influence, the cheap baseline of macro influence: for each live block i,
 * <pre>
 *   BI_i = 1 − cos(xᵢ, yᵢ)
 * </pre>
 * between the block's input xᵢ (the previous live block's output, or the embeddings) and its
 * output yᵢ, per real token and averaged (see {@link TokenCosine}), all from one forward pass
 * over the first {@value MacroInfluenceStrategy#DEFAULT_SAMPLES} calibration examples. The block
 * that changes its input least is removed (ties: the lower index); measured again at every step.
 */
public final class BlockInfluenceStrategy implements PruningStrategy {

    @Override
    public String name() {
        return "block-influence";
    }

    @Override
    public String displayName() {
        return "Block-Influence";
    }

    @Override
    public Choice choose(PruningContext context) {
        double[] scores = measure(context.requireModel(name()), context.calibration());
        int best = -1;
        for (int l : context.liveLayers()) {
            if (best < 0 || scores[l] < scores[best]) {
                best = l;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("no live layer left to remove");
        }
        return new Choice(best, scores, null);
    }

    /** BI of every live layer (NaN for removed layers). */
    public static double[] measure(BertModel model, EncodedExamples calibration) {
        EncodedExamples data = calibration.range(0, Math.min(MacroInfluenceStrategy.DEFAULT_SAMPLES, calibration.size()));
        Forward f = model.forwardPacked(data.tokens(), true); // the cosines read the real tokens alone
        double[] scores = new double[model.numLayers()];
        Arrays.fill(scores, Double.NaN);
        INDArray input = f.embeddings();
        for (int l : model.liveLayers()) {
            INDArray output = f.hiddenStates().get(l);
            scores[l] = 1 - TokenCosine.mean(input, output, data.tokens().attentionMask());
            input = output;
        }
        return scores;
    }
}
