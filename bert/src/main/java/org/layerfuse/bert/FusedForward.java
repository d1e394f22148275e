package org.layerfuse.bert;

import java.util.ArrayDeque;
import java.util.Deque;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The inference twin of the SameDiff graph: the same function (embeddings, live blocks,
 * pooler, classifier) computed by an {@link InferencePlan} of GEMMs into preallocated buffers
 * and in-place fused kernels, with no graph session, no permute copies and no per-op arrays.
 * {@link BertModel#forward} uses it whenever no gradient is needed.
 *
 * <p>Reads the model's live parameter arrays and live-layer set on every call, so training
 * steps, {@link BertModel#loadState}, layer removal and restoration are all seen without any
 * re-packing. Keeps a plan (buffers) for the last two (batch, length) shapes.
 *
 * <p>Threads: one {@code FusedForward} per thread. Several, made by {@link #of} over the same
 * model, may run at once in different threads as long as nothing writes the model's
 * parameters meanwhile: they only read the shared weights and each owns its buffers.
 */
public final class FusedForward {

    /** Plans kept: a training loop alternates between at most two shapes (train and eval batches). */
    private static final int PLANS_KEPT = 2;
    private static final boolean PACK_BY_PROPERTY =
            Boolean.parseBoolean(System.getProperty("layerfuse.fused.pack", "true"));
    private static volatile boolean pack = PACK_BY_PROPERTY;

    private final BertModel model;
    private final PlanKernels kernels;
    private final Deque<InferencePlan> plans = new ArrayDeque<>();

    private FusedForward(BertModel model) {
        this.model = model;
        this.kernels = PlanKernels.of(model.dataType());
    }

    /** A fused forward over {@code model}'s live weights, with buffers of its own. */
    public static FusedForward of(BertModel model) {
        return new FusedForward(model);
    }

    /** The sequence output, pooled output and logits where present. */
    public Forward forward(TokenBatch batch) {
        return forward(batch, false, false);
    }

    /** As {@link BertModel#forward(TokenBatch, boolean, boolean)}: same outputs, same shapes. */
    public Forward forward(TokenBatch batch, boolean hiddenStates, boolean attention) {
        ModelInputs.Flat tokens = ModelInputs.flatten(batch, model.config());
        return plan(tokens.batchSize(), tokens.seqLen()).run(model, tokens, kernels, hiddenStates, attention);
    }

    /**
     * {@link #forward(TokenBatch)} computed on the real tokens alone where the batch allows
     * ({@link PackedRows}: each sequence's mask a run of ones then zeros, a mask value of −10000
     * or less, and fewer rows once packed): padding costs nothing, the real tokens' outputs and
     * the logits are the full forward's within float rounding (attention's sums taken in another
     * order), and padding's rows of the sequence output are 0 (not computed). Otherwise, or with
     * packing off ({@code -Dlayerfuse.fused.pack=false}, {@link #pack(Boolean)}), it is the full
     * forward, bit for bit.
     */
    public Forward forwardPacked(TokenBatch batch) {
        return forwardPacked(batch, false);
    }

    /**
     * The pooled output and logits alone ({@code sequenceOutput} null; a model without a pooler
     * gets {@link #forwardPacked(TokenBatch)}): as {@link #forwardPacked(TokenBatch)} computes them,
     * but the last live layer's output product, layer norms and FFN run on each sequence's first
     * row alone, the only one the pooler reads. The same logits within float rounding.
     */
    public Forward logits(TokenBatch batch) {
        return logits(batch, false);
    }

    /**
     * {@link #logits(TokenBatch)}; with {@code hiddenStates} also the embeddings and each live
     * layer's output but the last's (as {@link #forwardPacked(TokenBatch, boolean)} returns them),
     * from which {@link #logitsAfter} resumes.
     */
    public Forward logits(TokenBatch batch, boolean hiddenStates) {
        ModelInputs.Flat tokens = ModelInputs.flatten(batch, model.config());
        PackedRows packed = packing(tokens);
        return plan(tokens.batchSize(), tokens.seqLen()).runLogits(model, tokens, packed, kernels, hiddenStates, null, -1);
    }

    /**
     * {@link #forwardPacked(TokenBatch)}, with {@code hiddenStates} also the embeddings and each
     * live layer's output ({@code [B, S, H]}, padding's rows 0 where packed), from which
     * {@link #forwardPackedAfter} resumes.
     */
    public Forward forwardPacked(TokenBatch batch, boolean hiddenStates) {
        ModelInputs.Flat tokens = ModelInputs.flatten(batch, model.config());
        PackedRows packed = packing(tokens);
        if (packed == null) {
            return forward(batch, hiddenStates, false);
        }
        return plan(tokens.batchSize(), tokens.seqLen()).runPacked(model, packed, kernels, hiddenStates, null, -1);
    }

    /**
     * {@link #forwardAfter} as {@link #forwardPacked} computes: on the real tokens alone where
     * the batch allows, {@code start} ({@code [B, S, H]}) read at the real tokens only. Bit for
     * bit {@link #forwardPacked}'s outputs when {@code start} is the state that forward returned
     * before the first live layer past {@code after}.
     */
    public Forward forwardPackedAfter(TokenBatch batch, int after, INDArray start) {
        ModelInputs.Flat tokens = ModelInputs.flatten(batch, model.config());
        PackedRows packed = packing(tokens);
        if (packed == null) {
            return forwardAfter(batch, after, start);
        }
        return plan(tokens.batchSize(), tokens.seqLen()).runPacked(model, packed, kernels, false, start, after);
    }

    /**
     * {@link #logits(TokenBatch)} resumed after layer {@code after} from {@code start}, as
     * {@link #forwardPackedAfter} resumes (on the real tokens where the batch allows): the pooled
     * output and logits alone, the last live layer narrowed to each sequence's first row.
     */
    public Forward logitsAfter(TokenBatch batch, int after, INDArray start) {
        ModelInputs.Flat tokens = ModelInputs.flatten(batch, model.config());
        PackedRows packed = packing(tokens);
        return plan(tokens.batchSize(), tokens.seqLen()).runLogits(model, tokens, packed, kernels, false, start, after);
    }

    private PackedRows packing(ModelInputs.Flat tokens) {
        return pack ? PackedRows.of(tokens, model.config().attentionMaskValue()) : null;
    }

    /**
     * Turns packing in {@link #forwardPacked} on or off for the whole JVM (A/B timings, tests);
     * null goes back to {@code -Dlayerfuse.fused.pack} (default on).
     */
    public static void pack(Boolean on) {
        pack = on != null ? on : PACK_BY_PROPERTY;
    }

    /**
     * The forward resumed after layer {@code after}: {@code start} ({@code [B, S, H]}) is the
     * input of the first live layer with a larger index, e.g. a hidden state an earlier
     * {@link #forward(TokenBatch, boolean, boolean) forward} returned for the layers before it.
     * Layers up to {@code after} and the embeddings are not computed; the outputs are those of
     * the full forward (bit for bit, given the same start state and weights).
     */
    public Forward forwardAfter(TokenBatch batch, int after, INDArray start) {
        ModelInputs.Flat tokens = ModelInputs.flatten(batch, model.config());
        return plan(tokens.batchSize(), tokens.seqLen()).run(model, tokens, kernels, false, false, start, after);
    }

    private InferencePlan plan(int b, int s) {
        for (InferencePlan p : plans) {
            if (p.fits(b, s)) {
                plans.remove(p);
                plans.addFirst(p);
                return p;
            }
        }
        InferencePlan p = new InferencePlan(model.config(), model.dataType(), b, s);
        plans.addFirst(p);
        while (plans.size() > PLANS_KEPT) {
            plans.removeLast();
        }
        return p;
    }

    /** How many shapes have buffers now (for tests of plan reuse). */
    int plansKept() {
        return plans.size();
    }
}
