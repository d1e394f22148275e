package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the highest fraction of exactly-zero weights.
 *
 * <p>Why: The higher the sparsity, the more the layer's output reduces to its bias; dense checkpoints have no exact zeros,
 * so this signal is usually constant (and flagged uninformative) until weights are pruned elementwise.
 */
public final class WeightSparsityStrategy extends SingleSignalStrategy {

    public WeightSparsityStrategy() {
        super(Signal.WEIGHT_SPARSITY);
    }
}
