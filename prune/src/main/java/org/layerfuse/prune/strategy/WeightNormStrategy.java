package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest L2 norm of its weight matrices.
 *
 * <p>Why: A low-norm layer has weights near zero, so its output is approximately its bias: a weak transformation.
 */
public final class WeightNormStrategy extends SingleSignalStrategy {

    public WeightNormStrategy() {
        super(Signal.WEIGHT_NORM);
    }
}
