package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * Checks an exported ONNX file against the model it was exported from: ONNX Runtime's outputs
 * against our forward on the same tokens (max |diff| ≤ {@link #TOLERANCE}, same arg-max class),
 * and the file read back by {@link OnnxBertImporter} against the exported weights, bit for bit.
 */
final class OnnxExportParity {

    /** The tolerance the issue sets for hidden states and logits, float32 against float32. */
    static final double TOLERANCE = 1e-4;

    /** What one comparison measured. */
    record Result(double hiddenDiff, double paddingDiff, double pooledDiff, double logitsDiff) {
    }

    private OnnxExportParity() {
    }

    /** Runs both engines on {@code batch} and asserts that every output the model has agrees. */
    static Result assertOrtMatches(BertModel model, Path onnx, TokenBatch batch) {
        Forward ours = model.forward(batch);
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(onnx, 2)) {
            float[][][] a = OnnxImportParityTest.sequenceOutput(model, batch);
            float[][][] b = ort.lastHiddenState(batch);
            double hidden = maxDiff(a, b, batch.attentionMask(), 1);
            double padded = maxDiff(a, b, batch.attentionMask(), 0);
            assertTrue(hidden <= TOLERANCE, "last_hidden_state max |diff| on real tokens " + hidden + " > " + TOLERANCE);
            // padding rows are masked out of every use; they agree less closely (float error amplified by
            // the layer norms of near-constant rows), measured up to 1.1e-4 on MiniLM
            assertTrue(padded <= 10 * TOLERANCE, "last_hidden_state max |diff| on padding " + padded);
            double pooled = Double.NaN;
            double logits = Double.NaN;
            if (ours.pooled() != null) {
                pooled = maxDiff(ours.pooled().toFloatMatrix(), ort.matrix(batch, "pooler_output"));
                assertTrue(pooled <= TOLERANCE, "pooler_output max |diff| " + pooled);
            } else {
                assertTrue(!ort.outputNames().contains("pooler_output"), "no pooler, no pooler_output");
            }
            if (ours.logits() != null) {
                float[][] theirs = ort.matrix(batch, "logits");
                logits = maxDiff(ours.logitsArray(), theirs);
                assertTrue(logits <= TOLERANCE, "logits max |diff| " + logits);
                assertArrayEquals(ours.predictions(), argMax(theirs), "identical arg-max classes");
            } else {
                assertTrue(!ort.outputNames().contains("logits"), "no classifier, no logits");
            }
            return new Result(hidden, padded, pooled, logits);
        }
    }

    /** The file read back by the existing importer equals the exported weights exactly (config and every float). */
    static void assertReimportEquals(BertWeights exported, Path onnx) {
        BertWeights back = OnnxBertImporter.load(onnx);
        assertEquals(exported.config(), back.config(), "config read back from the graph and metadata");
        assertEquals(exported.tensors().keySet(), back.tensors().keySet());
        for (String name : exported.tensors().keySet()) {
            assertArrayEquals(exported.get(name).shape(), back.get(name).shape(), name);
            // Arrays.equals on float[] compares bit patterns: exact, unlike INDArray.equals (1e-5)
            assertTrue(java.util.Arrays.equals(exported.get(name).data(), back.get(name).data()),
                    name + " differs after the round trip");
        }
    }

    /** Max |a − b| over the positions whose mask is {@code which}. */
    static double maxDiff(float[][][] a, float[][][] b, int[][] mask, int which) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int t = 0; t < a[i].length; t++) {
                if (mask[i][t] == which) {
                    for (int j = 0; j < a[i][t].length; j++) {
                        max = Math.max(max, Math.abs(a[i][t][j] - b[i][t][j]));
                    }
                }
            }
        }
        return max;
    }

    static double maxDiff(float[][][] a, float[][][] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, maxDiff(a[i], b[i]));
        }
        return max;
    }

    static double maxDiff(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    static int[] argMax(float[][] rows) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 1; j < rows[i].length; j++) {
                if (rows[i][j] > rows[i][out[i]]) {
                    out[i] = j;
                }
            }
        }
        return out;
    }
}
