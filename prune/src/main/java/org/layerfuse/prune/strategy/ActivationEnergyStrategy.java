package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest mean activation².
 *
 * <p>Why: Energy (mean A_ij², the power Tr(AᵀA)/nd) emphasises large activations; a low-energy layer adds little to the
 * information flowing through the network.
 */
public final class ActivationEnergyStrategy extends SingleSignalStrategy {

    public ActivationEnergyStrategy() {
        super(Signal.ACTIVATION_ENERGY);
    }
}
