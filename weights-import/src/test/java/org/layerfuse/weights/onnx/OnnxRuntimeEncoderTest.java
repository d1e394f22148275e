package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.artifact.MiniLmArtifact;

class OnnxRuntimeEncoderTest {

    private static final Path MINILM = MiniLmArtifact.files().onnx();

    /** [CLS] hello world [SEP], and [CLS] hello [SEP] padded to the same length. */
    private static final TokenBatch BATCH = new TokenBatch(
            new int[][] {{101, 7592, 2088, 102}, {101, 7592, 102, 0}},
            new int[2][4],
            new int[][] {{1, 1, 1, 1}, {1, 1, 1, 0}});

    @TempDir
    Path tmp;

    @Test
    void runsMiniLmAndPaddingDoesNotChangeRealTokens() {
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(MINILM, 2)) {
            float[][][] out = ort.lastHiddenState(BATCH);
            assertEquals(2, out.length);
            assertEquals(4, out[0].length);
            assertEquals(384, out[0][0].length);
            for (float[][] row : out) {
                for (float[] token : row) {
                    for (float v : token) {
                        assertTrue(Float.isFinite(v));
                    }
                }
            }
            float[][][] first = ort.lastHiddenState(BATCH.slice(0, 1));
            float[][][] second = ort.lastHiddenState(new TokenBatch(new int[][] {{101, 7592, 102}}, new int[1][3],
                    new int[][] {{1, 1, 1}}));
            assertTrue(maxDiff(out[0], first[0], 4) <= 1e-5, "row 0 alone vs in the batch");
            assertTrue(maxDiff(out[1], second[0], 3) <= 1e-5, "row 1 unpadded vs padded");
            assertTrue(maxDiff(out[0], out[1], 1) > 1e-3, "[CLS] depends on the sentence");
        }
    }

    @Test
    void threadCountDoesNotChangeTheResult() {
        try (OnnxRuntimeEncoder one = new OnnxRuntimeEncoder(MINILM, 1);
             OnnxRuntimeEncoder two = new OnnxRuntimeEncoder(MINILM, 2)) {
            assertEquals(1, one.threads());
            float[][][] a = one.lastHiddenState(BATCH);
            float[][][] b = two.lastHiddenState(BATCH);
            for (int r = 0; r < 2; r++) {
                assertTrue(maxDiff(a[r], b[r], 4) <= 1e-5);
            }
        }
    }

    @Test
    void refusesBadArguments() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new OnnxRuntimeEncoder(MINILM, 0));
        byte[] identity = OnnxProto.model(13, OnnxProto.graph(
                List.of(OnnxProto.node("Identity", "id", List.of("x"), List.of("y"))), List.of(),
                List.of(OnnxProto.valueInfo("x", OnnxProto.FLOAT, "n")),
                List.of(OnnxProto.valueInfo("y", OnnxProto.FLOAT, "n"))));
        Path file = Files.write(tmp.resolve("identity.onnx"), identity);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OnnxRuntimeEncoder(file, 1));
        assertTrue(e.getMessage().startsWith(file + ": expected a BERT encoder with input 'input_ids'"),
                e.getMessage());
        Path junk = Files.write(tmp.resolve("junk.onnx"), new byte[] {1, 2, 3});
        e = assertThrows(IllegalArgumentException.class, () -> new OnnxRuntimeEncoder(junk, 1));
        assertTrue(e.getMessage().startsWith(junk + ": ONNX Runtime cannot load the model"), e.getMessage());
    }

    /** Largest |a − b| over the first {@code tokens} rows. */
    static double maxDiff(float[][] a, float[][] b, int tokens) {
        double max = 0;
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < a[t].length; h++) {
                max = Math.max(max, Math.abs(a[t][h] - b[t][h]));
            }
        }
        return max;
    }
}
