package org.layerfuse.api;

/**
 * How {@link TextClassifier} and {@link SentenceEncoder} run.
 *
 * @param batchSize texts per forward call (≥ 1); texts are sorted by length first, so a batch
 *                  pads little
 * @param maxLength tokens per text, [CLS] and [SEP] included; 0 means the model's own limit
 *                  ({@code max_position_embeddings}); longer texts are truncated, said once in the log
 * @param parallelism the most forward calls that run at once when several threads share one
 *                  instance (≥ 1), for the fused engine: each running call has its own model replica
 *                  over the shared weights (the ONNX Runtime engine runs every call on its one session)
 * @param engine    what runs the forward: LayerFuse's fused forward (the default) or ONNX Runtime
 */
public record InferenceOptions(int batchSize, int maxLength, int parallelism, Engine engine) {

    /**
     * What runs the forward.
     * <ul>
     * <li>{@link #FUSED}: LayerFuse's own forward ({@code BertModel.forward}), one replica per
     *     running call over shared weights.</li>
     * <li>{@link #ONNX_RUNTIME}: the model exported to ONNX (as {@code layerfuse export --format onnx}
     *     writes it, in a temporary file removed once loaded) and run by ONNX Runtime, one session
     *     shared by every call. At batches of one to eight texts ONNX Runtime's forward took 0.2–0.7×
     *     the time of ours on a 2-core AVX2 machine (README, session 39: at a few rows the products
     *     are bound by reading the weights, which ONNX Runtime does faster), so it is the choice for
     *     one request at a time; at batch 32 the two are about level.</li>
     * </ul>
     */
    public enum Engine { FUSED, ONNX_RUNTIME }

    /** The fused engine. */
    public InferenceOptions(int batchSize, int maxLength, int parallelism) {
        this(batchSize, maxLength, parallelism, Engine.FUSED);
    }

    public InferenceOptions {
        if (engine == null) {
            throw new IllegalArgumentException("engine must not be null; one of "
                    + java.util.Arrays.toString(Engine.values()));
        }
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
        return new InferenceOptions(n, maxLength, parallelism, engine);
    }

    public InferenceOptions withMaxLength(int n) {
        return new InferenceOptions(batchSize, n, parallelism, engine);
    }

    public InferenceOptions withParallelism(int n) {
        return new InferenceOptions(batchSize, maxLength, n, engine);
    }

    public InferenceOptions withEngine(Engine e) {
        return new InferenceOptions(batchSize, maxLength, parallelism, e);
    }
}
