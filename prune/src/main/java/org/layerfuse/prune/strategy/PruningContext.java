package org.layerfuse.prune.strategy;

import java.util.List;
import org.layerfuse.prune.signals.LayerSignals;

/**
 * Everything a strategy may use at one pruning step.
 *
 * @param step       0-based index of this removal
 * @param signals    the signals of the current model (live layers only)
 * @param history    ΔA rows of every step so far, this step's included when the strategy
 *                   {@link PruningStrategy#needsDeltaAccuracy() needs them}
 * @param seed       the run's seed (random strategies derive their draw from seed and step)
 */
public record PruningContext(int step, LayerSignals signals, List<FusionRow> history, long seed) {

    public PruningContext {
        history = List.copyOf(history);
    }

    public int[] liveLayers() {
        return signals.liveLayers();
    }
}
