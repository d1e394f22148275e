package org.layerfuse.api;

/**
 * How {@link TextClassifier} and {@link SentenceEncoder} run.
 *
 * @param batchSize texts per forward call (≥ 1); texts are sorted by length first, so a batch
 *                  pads little
 * @param maxLength tokens per text, [CLS] and [SEP] included; 0 means the model's own limit
 *                  ({@code max_position_embeddings}); longer texts are truncated, said once in the log
 * @param parallelism the most forward calls that run at once when several threads share one
 *                  instance (≥ 1); each running call has its own graph over the shared weights
 */
public record InferenceOptions(int batchSize, int maxLength, int parallelism) {

    public InferenceOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (maxLength != 0 && maxLength < 3) {
            throw new IllegalArgumentException("maxLength must be 0 (the model's limit) or >= 3, got " + maxLength);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
    }

    /** Batches of 32, the model's length limit, one forward per core (at most 4). */
    public static InferenceOptions defaults() {
        return new InferenceOptions(32, 0, Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    public InferenceOptions withBatchSize(int n) {
        return new InferenceOptions(n, maxLength, parallelism);
    }

    public InferenceOptions withMaxLength(int n) {
        return new InferenceOptions(batchSize, n, parallelism);
    }

    public InferenceOptions withParallelism(int n) {
        return new InferenceOptions(batchSize, maxLength, n);
    }
}
