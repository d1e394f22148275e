package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest Fisher information E[(∂L/∂θ)²].
 *
 * <p>Why: Fisher information approximates the loss curvature around the current minimum; low Fisher means perturbing the
 * layer hardly moves the loss, so it is redundant.
 */
public final class GradientFisherStrategy extends SingleSignalStrategy {

    public GradientFisherStrategy() {
        super(Signal.GRADIENT_FISHER);
    }
}
