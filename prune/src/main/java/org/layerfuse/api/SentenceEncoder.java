package org.layerfuse.api;

import java.util.List;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.weights.PretrainedModels;

/**
 * Sentence vectors from a BERT encoder, for search and similarity in applications:
 * <pre>{@code
 * try (SentenceEncoder encoder = SentenceEncoder.load("minilm")) {
 *     List<float[]> v = encoder.encode(List.of("A man is eating food.", "Someone is having a meal."));
 *     double cosine = 0;
 *     for (int i = 0; i < v.get(0).length; i++) cosine += v.get(0)[i] * v.get(1)[i]; // unit vectors
 * }
 * }</pre>
 * The model is a name ({@code minilm}, {@code bert-base}) or a model folder (Hugging Face or an
 * ONNX export); pooling and normalisation follow the model's sentence-transformers configuration
 * ({@link SentencePooling}). Texts are batched internally and truncated to the model's length.
 * Thread-safe: one instance serves any number of threads.
 */
public final class SentenceEncoder implements AutoCloseable {

    private final String source;
    private final SentencePooling pooling;
    private final int dimension;
    private final TextBatches batches;
    private final EncoderForward forward;

    private SentenceEncoder(String source, SentencePooling pooling, int dimension, TextBatches batches,
                            EncoderForward forward) {
        this.source = source;
        this.pooling = pooling;
        this.dimension = dimension;
        this.batches = batches;
        this.forward = forward;
    }

    /** Loads an encoder with its configured pooling and {@link InferenceOptions#defaults()}. */
    public static SentenceEncoder load(String nameOrPath) {
        return load(nameOrPath, InferenceOptions.defaults());
    }

    public static SentenceEncoder load(String nameOrPath, InferenceOptions options) {
        if (nameOrPath == null) {
            throw new IllegalArgumentException("model name or path must not be null");
        }
        return load(nameOrPath, SentencePooling.of(nameOrPath), options);
    }

    /** Loads an encoder with an explicit pooling (overriding the model's configuration). */
    public static SentenceEncoder load(String nameOrPath, SentencePooling pooling, InferenceOptions options) {
        PretrainedModels.Pretrained p = PretrainedModels.load(nameOrPath);
        BertConfig c = p.weights().config();
        int maxLength = ModelLength.of(c, options);
        return new SentenceEncoder(nameOrPath, pooling, c.hiddenSize(),
                new TextBatches(p.tokenizer(), maxLength, options.batchSize(), nameOrPath),
                EncoderForward.of(p.weights(), options, nameOrPath));
    }

    public SentencePooling pooling() {
        return pooling;
    }

    /** Length of each vector (the hidden size). */
    public int dimension() {
        return dimension;
    }

    public int maxLength() {
        return batches.maxLength();
    }

    /**
     * One vector per text, in order.
     *
     * @throws IllegalArgumentException for a null or empty list, or a null text (its index is named)
     */
    public List<float[]> encode(List<String> texts) {
        float[][] out = new float[texts == null ? 0 : texts.size()][];
        for (TextBatches.Batch b : batches.batches(texts, null)) {
            float[] hidden = forward.run(b.tokens(), true, false).lastHidden();
            int seq = b.tokens().seqLen();
            for (int r = 0; r < b.indices().length; r++) {
                out[b.indices()[r]] = pooling.pool(hidden, r, seq, dimension, b.tokens().attentionMask()[r]);
            }
        }
        return List.of(out);
    }

    @Override
    public void close() {
        forward.close();
    }

    @Override
    public String toString() {
        return "SentenceEncoder[" + source + ", " + pooling + ", dimension " + dimension + "]";
    }
}
