package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest attention weight.
 *
 * <p>Why: A layer whose attention assigns uniformly low importance to every token distinguishes relevant from irrelevant
 * tokens least. LayerFuse's Attention Weight is the mean over heads and real queries of the largest probability in
 * the row (a plain mean of probabilities is exactly 1/n and carries no information).
 */
public final class AttentionWeightStrategy extends SingleSignalStrategy {

    public AttentionWeightStrategy() {
        super(Signal.ATTENTION_WEIGHT);
    }
}
