package org.layerfuse.bert;

import java.util.EnumSet;
import java.util.Set;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What each stage of the fused forward costs where it runs: the forward of one batch timed with
 * chosen stages left out (their kernels not called, every product still run), for profiling
 * only: with any stage left out the outputs mean nothing. A stage's cost in place is the whole
 * forward's time less the time without it, which includes what a stand-alone kernel timing
 * misses (waking the other core's threads after the products, caches the products filled).
 * The products alone are the forward with every stage left out. With the model's weights packed
 * ({@link BertModel#packWeights}) the FFN's activation runs inside its product, so leaving out
 * {@link Stage#ACTIVATION} changes nothing.
 *
 * <p>One instance holds the plan's buffers for its batch; not for concurrent use.
 */
public final class StageCosts {

    /** The fused forward's stages besides the weight products. */
    public enum Stage {
        /** Token, position and type embeddings summed and layer-normed. */
        EMBEDDINGS,
        /** Scores, mask, softmax and context of every layer. */
        ATTENTION,
        /** Both residual + bias + layer norms of every layer. */
        LAYER_NORM,
        /** The FFN's bias and activation (where not inside its product). */
        ACTIVATION,
        /** Pooler and classifier. */
        HEAD
    }

    private final BertModel model;
    private final ModelInputs.Flat tokens;
    private final InferencePlan plan;
    private final Kernels kernels;

    /** For the fused forward of {@code model} on {@code batch}. */
    public StageCosts(BertModel model, TokenBatch batch) {
        this.model = model;
        this.tokens = ModelInputs.flatten(batch, model.config());
        this.plan = new InferencePlan(model.config(), model.dataType(), batch.batchSize(), batch.seqLen());
        this.kernels = new Kernels(PlanKernels.of(model.dataType()));
    }

    /** Runs the forward once with {@code leftOut} not computed; returns its wall time in milliseconds. */
    public double millis(Set<Stage> leftOut) {
        long t0 = System.nanoTime();
        run(leftOut);
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The forward with {@code leftOut} not computed (for tests: with none left out, the fused forward's). */
    Forward run(Set<Stage> leftOut) {
        java.util.Objects.requireNonNull(leftOut, "StageCosts: the stages left out (an empty set for none)");
        kernels.leftOut = leftOut.isEmpty() ? EnumSet.noneOf(Stage.class) : EnumSet.copyOf(leftOut);
        return plan.run(model, tokens, kernels, false, false);
    }

    /** The plan's kernels with some stages skipped. */
    private static final class Kernels implements PlanKernels {
        private final PlanKernels all;
        private Set<Stage> leftOut = EnumSet.noneOf(Stage.class);

        Kernels(PlanKernels all) {
            this.all = all;
        }

        @Override
        public void embeddings(INDArray out, ModelInputs.Flat tokens, INDArray word, INDArray position, INDArray type,
                               INDArray gamma, INDArray beta, double eps) {
            if (!leftOut.contains(Stage.EMBEDDINGS)) {
                all.embeddings(out, tokens, word, position, type, gamma, beta, eps);
            }
        }

        @Override
        public void biasActivation(INDArray x, INDArray bias, Activation activation) {
            if (!leftOut.contains(Stage.ACTIVATION)) {
                all.biasActivation(x, bias, activation);
            }
        }

        @Override
        public void biasResidualLayerNorm(INDArray x, INDArray bias, INDArray residual, INDArray gamma, INDArray beta,
                                          double eps) {
            if (!leftOut.contains(Stage.LAYER_NORM)) {
                all.biasResidualLayerNorm(x, bias, residual, gamma, beta, eps);
            }
        }

        @Override
        public void attention(INDArray q, INDArray k, INDArray v, INDArray bq, INDArray bk, INDArray bv,
                              ModelInputs.Flat tokens, double maskValue, int heads, INDArray ctx, INDArray probs) {
            if (!leftOut.contains(Stage.ATTENTION)) {
                all.attention(q, k, v, bq, bk, bv, tokens, maskValue, heads, ctx, probs);
            }
        }

        @Override
        public INDArray[] head(INDArray hidden, int[] firstRows, INDArray poolerKernel, INDArray poolerBias,
                               INDArray classifierKernel, INDArray classifierBias) {
            return leftOut.contains(Stage.HEAD) ? new INDArray[2]
                    : all.head(hidden, firstRows, poolerKernel, poolerBias, classifierKernel, classifierBias);
        }
    }
}
