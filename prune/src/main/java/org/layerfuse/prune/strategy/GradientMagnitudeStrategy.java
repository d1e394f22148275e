package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest mean |∂L/∂θ|.
 *
 * <p>Why: A small mean gradient magnitude means changing the layer's parameters barely changes the loss: the layer matters
 * least to the optimisation.
 */
public final class GradientMagnitudeStrategy extends SingleSignalStrategy {

    public GradientMagnitudeStrategy() {
        super(Signal.GRADIENT_MAGNITUDE);
    }
}
