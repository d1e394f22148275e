package org.layerfuse.bert.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Layer normalisation over the last axis of a {@code [rows, hidden]} matrix:
 * y = (x − mean(x)) / √(var(x) + ε) · γ + β, with the biased variance.
 *
 * <p>Composed from primitive ops rather than ND4J's fused {@code layer_norm}: the fused op
 * has no ε argument (BERT needs 1e-12 to match its references) and its backward pass was the
 * slowest op of the gradient in a profile (DESIGN.md).
 */
final class LayerNorm {

    private LayerNorm() {
    }

    static SDVariable apply(SameDiff sd, String name, SDVariable x, SDVariable gamma, SDVariable beta, double eps) {
        SDVariable mean = x.mean(true, 1);
        SDVariable centered = x.sub(mean);
        SDVariable variance = sd.math().square(centered).mean(true, 1);
        SDVariable inverseStd = sd.math().rsqrt(variance.add(eps));
        return centered.mul(inverseStd).mul(gamma).add(name, beta);
    }
}
