package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link BertModel#logits}: the last live layer's output product, layer norms and FFN run for each
 * sequence's first row alone. Its pooled output and logits against {@link BertModel#forwardPacked}'s
 * (which computes every row, and which {@code FusedForwardTest} checks against the graph and a
 * scalar reference): within float64 1e-9 and float32 1e-5 of each tensor's largest value, for a
 * batch that packs and one that does not, both GELU forms, with the last layer pruned (the
 * narrowed layer is then the one before it), and with the weights packed; the states it returns for
 * resuming are {@code forwardPacked}'s bit for bit, and a forward resumed from them
 * ({@link BertModel#logitsAfter}) gives the whole narrowed forward's logits bit for bit.
 */
class LogitsForwardTest {

    private static final int[] LENGTHS = {9, 3, 6, 1, 5};
    private static final int[] FULL = {12, 12, 12, 12, 12};

    private static BertConfig config(Activation act) {
        return new BertConfig(60, 40, 3, 5, 72, act, 16, 2, 1e-12, -10000.0, List.of("a", "b", "c"));
    }

    @ParameterizedTest
    @CsvSource({"GELU_ERF, DOUBLE, true, -1, 1e-9", "GELU_TANH, DOUBLE, false, 2, 1e-9", "GELU_ERF, FLOAT, true, -1, 1e-5",
        "GELU_ERF, FLOAT, false, -1, 1e-5", "GELU_TANH, FLOAT, true, 2, 1e-5"})
    void logitsMatchTheWholeForward(Activation act, String type, boolean varied, int removed, double rel) {
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(act), 71, true), DataType.valueOf(type));
        if (removed >= 0) {
            model.removeLayer(removed);
        }
        TokenBatch batch = PackedForwardTest.batch(60, 12, varied ? LENGTHS : FULL, 72);
        Forward whole = model.forwardPacked(batch);
        Forward narrowed = model.logits(batch);
        String what = type + " " + act + (varied ? " packed" : " padded") + (removed >= 0 ? ", layer 2 removed" : "");
        assertNull(narrowed.sequenceOutput(), what + ": no sequence output");
        assertClose(whole.logits(), narrowed.logits(), rel, what + ": logits");
        assertClose(whole.pooled(), narrowed.pooled(), rel, what + ": pooled");
        Forward again = model.logits(batch); // the plan's buffers reused
        assertClose(narrowed.logits(), again.logits(), 0.0, what + ": a second call");
    }

    @Test
    void statesForResumingAndTheResumedLogits() {
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF), 76, true),
                DataType.FLOAT);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 77);
        Forward whole = model.forwardPacked(batch, true);
        Forward narrowed = model.logits(batch, true);
        BitwiseArrays.assertBitwiseEqual(whole.embeddings(), narrowed.embeddings(), "embeddings");
        for (int l : new int[] {0, 1}) {
            BitwiseArrays.assertBitwiseEqual(whole.hiddenStates().get(l), narrowed.hiddenStates().get(l), "layer " + l);
        }
        assertEquals(java.util.Set.of(0, 1), narrowed.hiddenStates().keySet(), "every state but the narrowed layer's");
        assertClose(whole.logits(), narrowed.logits(), 1e-5, "logits with states");
        for (int removed : new int[] {0, 1, 2}) { // resumed from the state before the removed layer
            INDArray start = removed == 0 ? narrowed.embeddings() : narrowed.hiddenStates().get(removed - 1);
            model.removeLayer(removed);
            try {
                assertClose(model.forwardPackedAfter(batch, removed, start).logits(),
                        model.logitsAfter(batch, removed, start).logits(), 1e-5, "resumed without layer " + removed);
                assertClose(model.logits(batch).logits(), model.logitsAfter(batch, removed, start).logits(), 0.0,
                        "resumed against the whole narrowed forward, without layer " + removed);
            } finally {
                model.restoreLayer(removed);
            }
        }
    }

    @Test
    void withPackedWeightsAndWithoutAPooler() {
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF), 73, true),
                DataType.FLOAT);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 74);
        Forward whole = model.forwardPacked(batch);
        try (PackedWeights packs = model.packWeights()) {
            assertTrue(packs.isOpen());
            assertClose(whole.logits(), model.logits(batch).logits(), 1e-5, "packed weights");
        }
        BertModel encoder = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF), 75, false),
                DataType.FLOAT);
        Forward f = encoder.logits(batch);
        assertNotNull(f.sequenceOutput(), "a model without a pooler gets the whole forward");
        assertNull(f.logits());
    }

    private static void assertClose(INDArray expected, INDArray actual, double rel, String what) {
        double[] x = expected.dup('c').data().asDouble();
        double[] y = actual.dup('c').data().asDouble();
        assertEquals(x.length, y.length, what);
        double scale = 0;
        for (double v : x) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, what + " is all zeros");
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(x[i] - y[i]) <= rel * scale, what + "[" + i + "]: " + y[i] + " against " + x[i]
                    + " (largest " + scale + ")");
        }
    }
}
