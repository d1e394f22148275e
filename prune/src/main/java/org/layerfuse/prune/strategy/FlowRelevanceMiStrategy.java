package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest I(A_l; A_l+1).
 *
 * <p>Why: Flow-Relevance MI measures the information a layer passes to the next; the paper takes low flow as a sign
 * that the layer is not needed in the chain of processing.
 */
public final class FlowRelevanceMiStrategy extends SingleSignalStrategy {

    public FlowRelevanceMiStrategy() {
        super(Signal.FLOW_RELEVANCE_MI);
    }
}
