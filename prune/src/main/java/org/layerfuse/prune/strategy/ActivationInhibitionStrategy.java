package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest mean activation.
 *
 * <p>Why: Inhibition (mean activation, A = (1/nd)·Σ A_ij) is found consistently negative in BERT; the activation family treats the
 * weakest output as the least useful, so the most negative (most inhibitory) layer goes first. The paper warns this is
 * risky: inhibitory layers may balance representations or filter noise.
 */
public final class ActivationInhibitionStrategy extends SingleSignalStrategy {

    public ActivationInhibitionStrategy() {
        super(Signal.ACTIVATION_INHIBITION);
    }
}
