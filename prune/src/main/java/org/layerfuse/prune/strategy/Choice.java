package org.layerfuse.prune.strategy;

/**
 * A strategy's decision.
 *
 * @param layer             the original index of the layer to remove
 * @param scores            per-layer score the decision was based on (signal value, predicted
 *                          ΔA), NaN for removed layers and for strategies without scores
 * @param featureImportance for fusion strategies, importance of each of the twelve signals
 *                          (RF impurity importance, or LR standardised coefficients); null otherwise
 */
public record Choice(int layer, double[] scores, double[] featureImportance) {
}
