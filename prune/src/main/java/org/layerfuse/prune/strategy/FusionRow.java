package org.layerfuse.prune.strategy;

/**
 * One training row of the fusion regressors: the twelve signals of a live layer at some
 * pruning step, and the accuracy drop ΔA = A_current − A_without_layer measured by replacing
 * that layer alone with an identity and evaluating on the validation split.
 */
public record FusionRow(int step, int layer, double[] signals, double deltaAccuracy) {
}
