package org.layerfuse.prune.loop;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The hidden states of one model's evaluation on a split (embeddings and every live layer's
 * output, per evaluation batch), kept so that the model with one layer removed resumes from
 * the state before that layer instead of recomputing the layers in front of it: the same
 * numbers, bit for bit (the fused forward's kernels see the same inputs), in the fraction of
 * the passes after it. Both run on the real tokens alone ({@link BertModel#forwardPacked}, as
 * {@code Evaluator} does), the states holding 0 in padding's rows. Used for the test split's "accuracy before healing" (the model the step
 * started from, with the chosen layer removed) and for ΔA on the validation split
 * ({@link DeltaAccuracy}: every layer removed in turn).
 */
final class TestStates implements AutoCloseable {

    /**
     * The most a set of states may hold; a larger one is not kept and the evaluation runs in full
     * (MiniLM's 256 test examples × 32 tokens: 84 MB, kept; BERT-base's: 0.33 GB, not kept, so
     * that its prune run stays within its 5 GB goal; BERT-base ΔA on 128 examples: 0.16 GB, kept).
     */
    static final long MAX_BYTES = 256L << 20;

    private final List<Forward> batches;

    private TestStates(List<Forward> batches) {
        this.batches = batches;
    }

    /** An evaluation and, when they fit {@link #MAX_BYTES}, the states it went through (else null). */
    record Evaluated(Evaluation evaluation, TestStates states) {
    }

    /** Evaluates {@code model} on {@code data} (as {@code Evaluator.evaluate}), keeping the hidden states. */
    static Evaluated evaluate(BertModel model, EncodedExamples data, int batchSize) {
        return evaluate(model, data, batchSize, MAX_BYTES);
    }

    /** As {@link #evaluate(BertModel, EncodedExamples, int)} with another bound on the states kept. */
    static Evaluated evaluate(BertModel model, EncodedExamples data, int batchSize, long maxBytes) {
        checkBatch(batchSize);
        long h = model.config().hiddenSize();
        long bytes = (long) data.tokens().batchSize() * data.tokens().seqLen() * h * model.dataType().width()
                * (model.liveLayers().length + 1);
        boolean keep = bytes <= maxBytes;
        List<Forward> kept = new ArrayList<>();
        List<INDArray> logits = new ArrayList<>();
        for (int from = 0; from < data.size(); from += batchSize) {
            EncodedExamples b = data.range(from, Math.min(data.size(), from + batchSize));
            Forward f = model.logits(b.tokens(), keep); // as Evaluator and the resumes compute the logits
            logits.add(f.logits());
            close(f.sequenceOutput());
            if (keep) {
                kept.add(f);
            }
        }
        return new Evaluated(evaluation(logits, data, model), keep ? new TestStates(kept) : null);
    }

    /**
     * {@code model} is the model these states were taken from with layer {@code removed} now an
     * identity: evaluates it from the state before {@code removed}.
     */
    Evaluation resumeWithout(BertModel model, EncodedExamples data, int batchSize, int removed) {
        checkBatch(batchSize);
        int previous = -1;
        for (int l : model.liveLayers()) {
            if (l < removed) {
                previous = l;
            }
        }
        List<INDArray> logits = new ArrayList<>();
        int b = 0;
        for (int from = 0; from < data.size(); from += batchSize, b++) {
            EncodedExamples batch = data.range(from, Math.min(data.size(), from + batchSize));
            Forward f = batches.get(b);
            INDArray start = previous < 0 ? f.embeddings() : f.hiddenStates().get(previous);
            if (start == null) {
                throw new IllegalStateException("test states hold no state before layer " + removed);
            }
            Forward resumed = model.logitsAfter(batch.tokens(), removed, start); // logits alone: the last layer's [CLS] rows
            logits.add(resumed.logits());
            close(resumed.sequenceOutput());
        }
        return evaluation(logits, data, model);
    }

    private static Evaluation evaluation(List<INDArray> logits, EncodedExamples data, BertModel model) {
        INDArray z = logits.size() == 1 ? logits.get(0) : Nd4j.concat(0, logits.toArray(INDArray[]::new));
        if (z == null) {
            throw new IllegalStateException("the model has no classification head");
        }
        return Evaluation.of(z.toFloatMatrix(), data.labels(), model.config().numLabels());
    }

    private static void checkBatch(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
    }

    @Override
    public void close() {
        for (Forward f : batches) {
            close(f.embeddings());
            f.hiddenStates().values().forEach(TestStates::close);
        }
        batches.clear();
    }

    private static void close(INDArray a) {
        if (a != null && a.closeable()) {
            a.close();
        }
    }

    /**
     * The states of the latest evaluated model, by {@link StepCache#key model key}; replaced ones
     * are closed. Only one set is kept: a step's before-healing evaluation needs the states of the
     * model the step started from, which is the last one evaluated (keeping the unpruned model's
     * too, for every run of a study, added 0.26 GB to the main study's peak for no measurable time).
     */
    static final class Recent {

        private String latestKey;
        private TestStates latest;

        synchronized TestStates get(String key) {
            return key != null && key.equals(latestKey) ? latest : null;
        }

        /** Keeps {@code states} as the latest (the previous ones are closed); null keeps nothing. */
        synchronized void put(String key, TestStates states) {
            if (states == null) {
                return;
            }
            if (latest != null && latest != states) {
                latest.close();
            }
            latestKey = key;
            latest = states;
        }

        synchronized void clear() {
            if (latest != null) {
                latest.close();
            }
            latestKey = null;
            latest = null;
        }
    }
}
