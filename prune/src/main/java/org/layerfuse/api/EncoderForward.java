package org.layerfuse.api;

import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * The one place where the inference API runs the model: a token batch in, plain Java arrays
 * out. Everything above it (tokenizing, batching, pooling, softmax) is engine-independent, so
 * the engine can change here alone. Implementations must be safe to call from many threads.
 */
interface EncoderForward extends AutoCloseable {

    /**
     * The outputs of one batch.
     *
     * @param lastHidden last hidden state, row-major {@code [batch, seq, hidden]}, or null if not asked for
     * @param logits     classifier logits {@code [batch][classes]}, or null if not asked for
     */
    record Outputs(float[] lastHidden, float[][] logits) {
    }

    Outputs run(TokenBatch batch, boolean lastHidden, boolean logits);

    /**
     * The forward the API uses for a model, by {@link InferenceOptions#engine()}: a pool of
     * {@link BertModel#replica() replicas} over {@link BertModel#forwardPacked}, or one ONNX Runtime
     * session over the model's ONNX export.
     *
     * @param source the model's name or folder, for error messages
     */
    static EncoderForward of(BertWeights weights, InferenceOptions options, String source) {
        return switch (options.engine()) {
            case FUSED -> new PooledBertForward(BertModel.fromWeights(weights), options.parallelism());
            case ONNX_RUNTIME -> OnnxRuntimeForward.of(weights, source);
        };
    }

    @Override
    void close();
}
