package org.layerfuse.prune.strategy;

import java.util.List;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.signals.LayerSignals;

/**
 * Everything a strategy may use at one pruning step.
 *
 * @param step           the 1-based index of this removal (the pruning loop's step)
 * @param signals        the signals of the current model (live layers only)
 * @param history        ΔA rows of every step so far, this step's included when the strategy
 *                       {@link PruningStrategy#needsDeltaAccuracy() needs them}
 * @param seed           the run's seed (random strategies derive their draw from seed and step)
 * @param model          the current model, for strategies that measure it themselves (macro
 *                       influence); null where only signals are given (unit tests of signal
 *                       strategies). A strategy may remove and restore layers but must hand
 *                       the model back as it found it.
 * @param calibration    the examples the signals are computed on (the signal subset), or null
 * @param previousScores {@link Choice#scores()} of this run's earlier steps, step 1 first (read
 *                       back from the run directory after a resume), so a one-shot strategy can
 *                       reuse the scores it computed at step 1
 */
public record PruningContext(int step, LayerSignals signals, List<FusionRow> history, long seed, BertModel model,
                             EncodedExamples calibration, List<double[]> previousScores) {

    public PruningContext {
        history = List.copyOf(history);
        previousScores = List.copyOf(previousScores);
    }

    /** A context with signals only: no model, no calibration examples, no earlier scores. */
    public PruningContext(int step, LayerSignals signals, List<FusionRow> history, long seed) {
        this(step, signals, history, seed, null, null, List.of());
    }

    public int[] liveLayers() {
        return signals.liveLayers();
    }

    /** The model, or an error naming the strategy that needs it. */
    public BertModel requireModel(String strategy) {
        if (model == null || calibration == null) {
            throw new IllegalStateException(strategy + " measures the model itself: the pruning context must carry "
                    + "the model and calibration examples");
        }
        return model;
    }
}
