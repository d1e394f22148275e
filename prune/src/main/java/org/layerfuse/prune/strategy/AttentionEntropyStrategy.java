package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the highest attention entropy.
 *
 * <p>Why: High entropy means attention spread evenly over the tokens, a lack of focus; the paper prunes high-entropy
 * (diffuse) layers first, assuming distributed attention contributes less task-specific information.
 */
public final class AttentionEntropyStrategy extends SingleSignalStrategy {

    public AttentionEntropyStrategy() {
        super(Signal.ATTENTION_ENTROPY);
    }
}
