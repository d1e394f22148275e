package org.layerfuse.api;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.PackedWeights;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link EncoderForward} over {@link BertModel#forwardPacked} (the real tokens alone: a batch
 * padded to its longest text costs nothing for the padding), which is not thread-safe: a bounded
 * pool of {@link BertModel#replica() replicas} that share one copy of the weights, each with its
 * own SameDiff graph. A call borrows a replica, runs, and returns it; callers beyond the pool
 * size wait. Replicas are made on demand, so a single-threaded user builds one graph.
 *
 * <p>The first call packs the weight matrices once ({@link BertModel#packWeights()}: reordered for
 * oneDNN's 1×1-convolution kernels, shared by every replica; ONNX Runtime prepacks a session's
 * weights the same way), so that no product copies them into its kernel's layout again; faster at
 * every batch size, one short sentence included. {@code -Dlayerfuse.fused.packWeights=false}
 * never packs.
 */
final class PooledBertForward implements EncoderForward {

    private final BertModel prototype;
    private final BlockingQueue<BertModel> idle;
    private final AtomicInteger created = new AtomicInteger();
    private final int size;
    private final boolean packWeights = Boolean.parseBoolean(System.getProperty(PACK_PROPERTY, "true"));
    private volatile PackedWeights packs;

    /** {@code -Dlayerfuse.fused.packWeights=false}: never pack the weights (default true). */
    static final String PACK_PROPERTY = "layerfuse.fused.packWeights";

    /** @param size the most forwards that run at once (≥ 1) */
    PooledBertForward(BertModel model, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be >= 1, got " + size);
        }
        this.prototype = model;
        this.size = size;
        this.idle = new ArrayBlockingQueue<>(size);
    }

    @Override
    public Outputs run(TokenBatch batch, boolean lastHidden, boolean logits) {
        packWeightsOnce();
        BertModel model = borrow();
        try {
            // padding not computed (its rows of the last hidden state are 0); logits alone: the last
            // layer for each sequence's [CLS] row only
            Forward f = lastHidden ? model.forwardPacked(batch) : model.logits(batch);
            float[] hidden = lastHidden ? f.sequenceOutput().castTo(DataType.FLOAT).dup('c').data().asFloat() : null;
            float[][] z = logits ? f.logitsArray() : null;
            return new Outputs(hidden, z);
        } finally {
            idle.offer(model);
        }
    }

    /** Packs the weights at the first call (once). */
    private void packWeightsOnce() {
        if (packWeights && packs == null) {
            synchronized (this) {
                if (packs == null) {
                    packs = prototype.packWeights();
                }
            }
        }
    }

    /** The weight packs the replicas read, or null before the first call (tests). */
    PackedWeights packs() {
        return packs;
    }

    private BertModel borrow() {
        BertModel m = idle.poll();
        if (m != null) {
            return m;
        }
        int n = created.get();
        while (n < size) {
            if (created.compareAndSet(n, n + 1)) {
                return prototype.replica();
            }
            n = created.get();
        }
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free model", e);
        }
    }

    @Override
    public void close() {
        idle.clear();
        PackedWeights p = packs;
        if (p != null) {
            p.close();
        }
    }
}
