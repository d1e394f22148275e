package org.layerfuse.bert;

import java.util.Map;
import java.util.function.Consumer;
import org.layerfuse.engine.kernels.RowSupport;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of one backward call: the loss, the logits it was computed from, and ∂loss/∂θ
 * for every parameter of the live graph, keyed by {@link ParamNames} name. {@code rowSupport}
 * names, for the embedding tables, the rows their gradients wrote: elsewhere they are +0
 * ({@link org.layerfuse.bert.train.AdamW} then reads only those rows, and the next call clears
 * only those). Whoever writes into such a gradient keeps it +0 outside them.
 */
public record Gradients(double loss, INDArray logits, Map<String, INDArray> byParameter,
                        Map<String, RowSupport> rowSupport) {

    public Gradients {
        rowSupport = Map.copyOf(rowSupport);
    }

    /** Gradients with no row support claimed. */
    public Gradients(double loss, INDArray logits, Map<String, INDArray> byParameter) {
        this(loss, logits, byParameter, Map.of());
    }

    /**
     * Frees the gradient and logit arrays now rather than when the garbage collector finds
     * them (a BERT-base gradient set is 0.44 GB of native memory, and the next call would
     * otherwise allocate its own beside it). The arrays must not be used afterwards.
     */
    public void free() {
        freeGradients();
        freeArray(logits);
    }

    /**
     * Frees the gradient arrays only (the logits stay usable). The embedding tables' gradients
     * are kept for the next backward call to clear and reuse (see {@code EmbeddingLookup}).
     */
    public void freeGradients() {
        handOverGradients(Gradients::freeArray);
    }

    /** The embedding tables, whose gradients {@code EmbeddingLookup} keeps for the next backward call. */
    private static final java.util.Set<String> TABLES = java.util.Set.of(ParamNames.WORD_EMBEDDINGS,
            ParamNames.POSITION_EMBEDDINGS, ParamNames.TOKEN_TYPE_EMBEDDINGS);

    /**
     * Gives the embedding tables' gradients to the next backward call ({@code EmbeddingLookup})
     * and every other gradient array to {@code sink}, which disposes of it (frees or reuses it).
     */
    void handOverGradients(Consumer<INDArray> sink) {
        for (Map.Entry<String, INDArray> e : byParameter.entrySet()) {
            if (!(TABLES.contains(e.getKey()) && EmbeddingLookup.recycle(e.getValue(), rowSupport.get(e.getKey())))) {
                sink.accept(e.getValue());
            }
        }
    }

    static void freeArray(INDArray a) {
        if (a != null && a.closeable()) {
            a.close();
        }
    }
}
