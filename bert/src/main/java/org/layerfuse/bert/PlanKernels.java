package org.layerfuse.bert;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The non-GEMM steps of an {@link InferencePlan}, each in place over the plan's native
 * {@code [B·S, width]} buffers: {@link FloatPlanKernels} (Vector API, rows split over the
 * cores) for float32 models, {@link DoublePlanKernels} (scalar double loops) for float64 ones.
 */
interface PlanKernels {

    /** The kernels for a model of this data type: float64 gets the double loops, anything else float32's. */
    static PlanKernels of(org.nd4j.linalg.api.buffer.DataType dtype) {
        return dtype == org.nd4j.linalg.api.buffer.DataType.DOUBLE ? new DoublePlanKernels() : new FloatPlanKernels();
    }

    /** out = LayerNorm(word[id] + position[t] + type[tt]) per token (the graph's order of the two adds). */
    void embeddings(INDArray out, ModelInputs.Flat tokens, INDArray word, INDArray position, INDArray type,
                    INDArray gamma, INDArray beta, double eps);

    /** x = act(x + bias). */
    void biasActivation(INDArray x, INDArray bias, Activation activation);

    /** x = LayerNorm(x + bias + residual)·γ + β per row. */
    void biasResidualLayerNorm(INDArray x, INDArray bias, INDArray residual, INDArray gamma, INDArray beta, double eps);

    /**
     * ctx = multi-head attention of (q + bq, k + bk, v + bv), sequence by sequence, with the
     * additive mask (1 − mask)·maskValue; probabilities into {@code probs} {@code [B, h, S, S]} if not null
     * ({@link SequenceAttention}, one implementation for both precisions).
     */
    default void attention(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                           ModelInputs.Flat tokens, double maskValue, int heads, INDArray ctx, INDArray probs) {
        SequenceAttention.run(q, k, v, bq, bk, bv, tokens.mask(), tokens.batchSize(), tokens.seqLen(), maskValue, heads,
                ctx, probs);
    }

    /**
     * The classification head on each sequence's first token of {@code hidden}, rows
     * {@code firstRows} (the padded {@code [B·S, H]} rows {@code r·S}, or {@link PackedRows}'s):
     * {pooled = tanh(h_CLS·Wp + bp), logits = pooled·Wc + bc}, logits null without a classifier;
     * fresh arrays. This default is ND4J's ops, as the graph computes it.
     */
    default INDArray[] head(INDArray hidden, int[] firstRows, INDArray poolerKernel, INDArray poolerBias,
                            INDArray classifierKernel, INDArray classifierBias) {
        INDArray cls = Nd4j.pullRows(hidden, 1, firstRows);
        INDArray pooled = Transforms.tanh(cls.mmul(poolerKernel).addiRowVector(poolerBias), false);
        INDArray logits = classifierKernel == null ? null : pooled.mmul(classifierKernel).addiRowVector(classifierBias);
        return new INDArray[] {pooled, logits};
    }
}
