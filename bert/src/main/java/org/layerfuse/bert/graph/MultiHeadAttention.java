package org.layerfuse.bert.graph;

import org.layerfuse.bert.graph.ops.AttentionOp;
import org.layerfuse.bert.graph.ops.ProjectionsOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Scaled dot-product multi-head self-attention, written out op by op:
 * <pre>
 *   Q, K, V = x·Wq + bq, x·Wk + bk, x·Wv + bv            [B·S, H]
 *   split heads                                           [B, h, S, d]
 *   P = softmax(Q·Kᵀ / √d + mask)                         [B, h, S, S]
 *   context = P·V, heads merged                           [B·S, H]
 *   out = context·Wo                                     (+ bo: the caller's layer norm adds it)
 * </pre>
 * where mask is 0 for real keys and the config's large negative value for padding.
 */
final class MultiHeadAttention {

    /** The two outputs a caller may want: the projected context (without bo) and the attention probabilities. */
    record Result(SDVariable output, SDVariable probabilities) {
    }

    private MultiHeadAttention() {
    }

    /**
     * @param x          hidden states {@code [B·S, H]}
     * @param headsShape the long vector {@code [B, S, h, d]}
     * @param maskAdd    additive mask {@code [B, 1, 1, S]}
     * @param mask       the 0/1 mask {@code [B, S]} and the value masked keys get, for the
     *                   one-op Java attention ({@link AttentionOp}) used where {@link JavaOps} are
     */
    static Result apply(SameDiff sd, String prefix, SDVariable x, SDVariable headsShape, SDVariable maskAdd,
                        SDVariable mask, double maskValue, int hidden, int headSize, SDVariable wq, SDVariable bq, SDVariable wk, SDVariable bk,
                        SDVariable wv, SDVariable bv, SDVariable wo) {
        return apply(sd, prefix, x, headsShape, maskAdd, mask, maskValue, hidden, headSize, wq, bq, wk, bk, wv, bv, wo,
                null);
    }

    /**
     * As above; with {@code rows} (a one-hot {@code [R, B·S]} selection) the context is narrowed to
     * the selected rows before the output product, whose result is then {@code [R, H]}: every token
     * is still a key and a value, only the selected ones are queries that anything reads.
     */
    static Result apply(SameDiff sd, String prefix, SDVariable x, SDVariable headsShape, SDVariable maskAdd,
                        SDVariable mask, double maskValue, int hidden, int headSize, SDVariable wq, SDVariable bq, SDVariable wk, SDVariable bk,
                        SDVariable wv, SDVariable bv, SDVariable wo, SDVariable rows) {
        if (JavaOps.available()) {
            // the products without their biases: the attention op adds bq, bk, bv as it reads each sequence
            SDVariable[] qkv = new ProjectionsOp(sd, x, wq, wk, wv).outputVariables();
            SDVariable[] out = new AttentionOp(sd, qkv[0].rename(prefix + "q"), qkv[1].rename(prefix + "k"),
                    qkv[2].rename(prefix + "v"), mask, bq, bk, bv, hidden / headSize, maskValue).outputVariables();
            SDVariable probabilities = out[1].rename(prefix + "probs");
            return new Result(Dense.product(sd, prefix + "out", select(rows, out[0]), wo), probabilities);
        }
        double scale = 1.0 / Math.sqrt(headSize);
        SDVariable q = splitHeads(sd, Dense.apply(sd, prefix + "q", x, wq, bq), headsShape);
        SDVariable k = splitHeads(sd, Dense.apply(sd, prefix + "k", x, wk, bk), headsShape);
        SDVariable v = splitHeads(sd, Dense.apply(sd, prefix + "v", x, wv, bv), headsShape);

        SDVariable scores = sd.linalg().mmul(q, k, false, true, false).mul(scale).add(maskAdd);
        SDVariable probabilities = sd.nn().softmax(prefix + "probs", scores, -1);
        SDVariable context = sd.linalg().mmul(probabilities, v);                  // [B, h, S, d]
        SDVariable merged = sd.reshape(sd.permute(context, 0, 2, 1, 3), -1, hidden); // [B·S, H]
        return new Result(Dense.product(sd, prefix + "out", select(rows, merged), wo), probabilities);
    }

    /** {@code rows · a} (the selected rows of a), or a itself when rows is null. */
    private static SDVariable select(SDVariable rows, SDVariable a) {
        return rows == null ? a : rows.mmul(a);
    }

    /** {@code [B·S, H]} → {@code [B, h, S, d]}. */
    private static SDVariable splitHeads(SameDiff sd, SDVariable x, SDVariable headsShape) {
        return sd.permute(sd.reshape(x, headsShape), 0, 2, 1, 3);
    }
}
