package org.layerfuse.prune.graft;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mean cosine similarity of two sets of hidden states, token by token, over the real
 * (non-padding) tokens: (1/T) Σ_{b,s: mask[b][s] = 1} ⟨x_bs, y_bs⟩ / (‖x_bs‖·‖y_bs‖).
 *
 * <p>Per-token cosines, averaged, rather than one cosine of the flattened matrices: every
 * token counts the same whatever its norm, as in ShortGPT's block influence and FuseGPT's
 * macro influence. Two zero vectors count as identical (cosine 1), a zero against a non-zero
 * vector as orthogonal (0). Computed in double precision.
 */
final class TokenCosine {

    private TokenCosine() {
    }

    /**
     * @param x    hidden states {@code [B, S, H]}
     * @param y    hidden states {@code [B, S, H]}
     * @param mask attention mask {@code [B][S]}, 1 for real tokens
     */
    static double mean(INDArray x, INDArray y, int[][] mask) {
        long[] shape = x.shape();
        if (shape.length != 3 || !java.util.Arrays.equals(shape, y.shape())) {
            throw new IllegalArgumentException("hidden states must both be [B, S, H], got "
                    + java.util.Arrays.toString(shape) + " and " + java.util.Arrays.toString(y.shape()));
        }
        int b = (int) shape[0];
        int s = (int) shape[1];
        if (mask.length != b || (b > 0 && mask[0].length != s)) {
            throw new IllegalArgumentException("mask is not [" + b + ", " + s + "]");
        }
        double[][] xs = x.reshape('c', (long) b * s, shape[2]).toDoubleMatrix();
        double[][] ys = y.reshape('c', (long) b * s, shape[2]).toDoubleMatrix();
        double sum = 0;
        long tokens = 0;
        for (int r = 0; r < b; r++) {
            for (int t = 0; t < s; t++) {
                if (mask[r][t] == 0) {
                    continue;
                }
                sum += cosine(xs[r * s + t], ys[r * s + t]);
                tokens++;
            }
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no real token in the batch (the attention mask is all zeros)");
        }
        return sum / tokens;
    }

    static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return na == nb ? 1.0 : 0.0;
        }
        return dot / Math.sqrt(na * nb);
    }
}
