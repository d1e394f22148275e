package org.layerfuse.weights.onnx;

import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * An ONNX BERT run by ONNX Runtime: the independent reference that parity tests and benchmarks
 * compare LayerFuse's model against. Feeds {@code input_ids}, {@code attention_mask} and
 * {@code token_type_ids} as int64 (those of them the model declares) and returns
 * {@code last_hidden_state}.
 *
 * <p>ONNX Runtime sessions are thread-safe, but this wrapper pins the intra-op thread count so
 * that a benchmark compares engines at the same parallelism; inter-op parallelism is off.
 */
public final class OnnxRuntimeEncoder implements AutoCloseable {

    public static final String OUTPUT = "last_hidden_state";

    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final Set<String> inputs;
    private final int threads;

    /**
     * @param intraOpThreads threads for one operator (≥ 1)
     */
    public OnnxRuntimeEncoder(Path file, int intraOpThreads) {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        this.file = file;
        this.threads = intraOpThreads;
        this.env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            this.session = env.createSession(file.toString(), options);
            this.inputs = session.getInputNames();
            Set<String> outputs = session.getOutputNames();
            if (!inputs.contains("input_ids") || !outputs.contains(OUTPUT)) {
                session.close();
                throw new IllegalArgumentException(file + ": expected a BERT encoder with input 'input_ids' and"
                        + " output '" + OUTPUT + "', the model has inputs " + inputs + " and outputs " + outputs);
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException(file + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    public int threads() {
        return threads;
    }

    /** The last hidden state {@code [batch][seq][hidden]}. */
    public float[][][] lastHiddenState(TokenBatch batch) {
        return (float[][][]) run(batch, OUTPUT);
    }

    /**
     * A {@code [batch][n]} output such as {@code pooler_output} or {@code logits}.
     *
     * @throws IllegalArgumentException if the model has no such output
     */
    public float[][] matrix(TokenBatch batch, String output) {
        if (!session.getOutputNames().contains(output)) {
            throw new IllegalArgumentException(file + ": no output '" + output + "'; the model has "
                    + session.getOutputNames());
        }
        return (float[][]) run(batch, output);
    }

    /** The model's output names. */
    public Set<String> outputNames() {
        return session.getOutputNames();
    }

    /** The model's custom metadata ({@code metadata_props}) as ONNX Runtime reads it. */
    public Map<String, String> customMetadata() {
        try {
            return session.getMetadata().getCustomMetadata();
        } catch (OrtException e) {
            throw new IllegalStateException(file + ": ONNX Runtime cannot read the metadata: " + e.getMessage(), e);
        }
    }

    private Object run(TokenBatch batch, String output) {
        if (batch.batchSize() == 0 || batch.seqLen() == 0) {
            throw new IllegalArgumentException("empty batch: " + batch.batchSize() + " rows of " + batch.seqLen()
                    + " tokens");
        }
        Map<String, ai.onnxruntime.OnnxTensor> feed = new HashMap<>();
        try {
            feed.put("input_ids", int64(batch.inputIds()));
            if (inputs.contains("attention_mask")) {
                feed.put("attention_mask", int64(batch.attentionMask()));
            }
            if (inputs.contains("token_type_ids")) {
                feed.put("token_type_ids", int64(batch.tokenTypeIds()));
            }
            try (OrtSession.Result result = session.run(feed, Set.of(output))) {
                OnnxValue out = result.get(output).orElseThrow();
                return out.getValue();
            }
        } catch (OrtException e) {
            throw new IllegalStateException(file + ": ONNX Runtime failed on a batch of " + batch.batchSize() + " x "
                    + batch.seqLen() + ": " + e.getMessage(), e);
        } finally {
            feed.values().forEach(ai.onnxruntime.OnnxTensor::close); // ORT's tensors, not the reader's
        }
    }

    private ai.onnxruntime.OnnxTensor int64(int[][] rows) throws OrtException {
        int b = rows.length;
        int s = rows[0].length;
        LongBuffer buf = LongBuffer.allocate(b * s);
        for (int[] row : rows) {
            for (int v : row) {
                buf.put(v);
            }
        }
        return ai.onnxruntime.OnnxTensor.createTensor(env, buf.flip(), new long[] {b, s});
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(file + ": closing the ONNX Runtime session failed", e);
        }
    }
}
