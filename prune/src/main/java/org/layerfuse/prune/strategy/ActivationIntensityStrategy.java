package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest mean |activation|.
 *
 * <p>Why: Intensity (mean |A_ij|, the L1 magnitude) measures how strongly a layer drives the next; a low-intensity layer's
 * transform is close to its bias, T(A) = WA + b ≈ b, so it contributes least.
 */
public final class ActivationIntensityStrategy extends SingleSignalStrategy {

    public ActivationIntensityStrategy() {
        super(Signal.ACTIVATION_INTENSITY);
    }
}
