package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest ℓ1-normalised weight entropy.
 *
 * <p>Why: Low entropy means the weight mass is concentrated on a few entries, a layer with little diversity in its
 * transformations.
 */
public final class WeightEntropyStrategy extends SingleSignalStrategy {

    public WeightEntropyStrategy() {
        super(Signal.WEIGHT_ENTROPY);
    }
}
