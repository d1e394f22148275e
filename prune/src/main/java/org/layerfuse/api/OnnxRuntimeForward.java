package org.layerfuse.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.onnx.OnnxBertExporter;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link EncoderForward} on ONNX Runtime: the model's weights exported by
 * {@link OnnxBertExporter} (the graph {@code layerfuse export --format onnx} writes, with our
 * numerics: the attention-mask constant and the GELU form) into a temporary file, loaded into one
 * session, and the file removed. ONNX Runtime's sessions run concurrent calls, so every thread
 * shares the one session; its operators use one thread per core.
 */
final class OnnxRuntimeForward implements EncoderForward {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeForward.class);
    private static final String LOGITS = "logits";

    private final OnnxRuntimeEncoder encoder;

    private OnnxRuntimeForward(OnnxRuntimeEncoder encoder) {
        this.encoder = encoder;
    }

    static OnnxRuntimeForward of(BertWeights weights, String source) {
        Path dir;
        try {
            dir = Files.createTempDirectory("layerfuse-onnx");
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": cannot make a temporary folder for the ONNX export: "
                    + e.getMessage(), e);
        }
        Path file = dir.resolve(OnnxBertExporter.MODEL_FILE);
        try {
            OnnxBertExporter.write(weights, file);
            return new OnnxRuntimeForward(new OnnxRuntimeEncoder(file, Runtime.getRuntime().availableProcessors()));
        } finally {
            try {
                Files.deleteIfExists(file); // the session holds the model in memory
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                LOG.warn("could not remove the temporary ONNX export {}: {}", file, e.getMessage());
            }
        }
    }

    @Override
    public Outputs run(TokenBatch batch, boolean lastHidden, boolean logits) {
        float[] hidden = null;
        if (lastHidden) {
            float[][][] h = encoder.lastHiddenState(batch);
            int rows = h.length;
            int seq = h[0].length;
            int width = h[0][0].length;
            hidden = new float[rows * seq * width];
            for (int b = 0, at = 0; b < rows; b++) {
                for (int t = 0; t < seq; t++, at += width) {
                    System.arraycopy(h[b][t], 0, hidden, at, width);
                }
            }
        }
        // TextClassifier loads only models with a classifier, whose export has this output
        // (OnnxRuntimeEncoder.matrix refuses a missing one)
        return new Outputs(hidden, logits ? encoder.matrix(batch, LOGITS) : null);
    }

    @Override
    public void close() {
        encoder.close();
    }
}
