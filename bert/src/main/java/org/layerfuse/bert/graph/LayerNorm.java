package org.layerfuse.bert.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Layer normalisation over the last axis of a {@code [rows, hidden]} matrix:
 * y = (x − mean(x)) / √(var(x) + ε) · γ + β, with the biased variance.
 *
 * <p>ND4J's fused {@code layer_norm} op. Measured on a [1024, 384] input (2 cores), its
 * forward + backward took ≈ 20 ms against ≈ 100 ms for the same formula written out from
 * primitive ops, whose broadcast multiplies have a slow backward. The fused op has no ε
 * argument: it normalises with an ε far below BERT's 1e−12 (checked against the scalar
 * reference to 1e−9 in double), so for real inputs, whose variance is far above ε, the
 * results agree with the references.
 */
final class LayerNorm {

    private LayerNorm() {
    }

    static SDVariable apply(SameDiff sd, String name, SDVariable x, SDVariable gamma, SDVariable beta, double eps) {
        return sd.nn().layerNorm(name, x, gamma, beta, false, 1);
    }
}
