package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.fused.GemmRoute;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused inference path against the SameDiff graph and the scalar reference (ScalarBert):
 * float64 to 1e-9, float32 to 1e-5 of each tensor's largest value; every GELU form, both mask
 * constants, padded rows, removed layers, hidden states and attention, shape changes, and
 * parameters changed in place between calls.
 */
class FusedForwardTest {

    static final List<String> LABELS = List.of("a", "b", "c");
    /** Hugging Face's mask constant (the TF one, −10000, is TestModels' default). */
    static final double FLOAT_MIN = -Float.MAX_VALUE;

    private static BertConfig config(Activation act, int layers, double maskValue) {
        return TestModels.tinyConfig(act, layers, maskValue, 12, LABELS);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void doubleMatchesScalarReferenceAndGraph(Activation act) {
        for (double maskValue : new double[] {-10000.0, FLOAT_MIN}) {
            BertWeights w = TestModels.randomWeights(config(act, 3, maskValue), 31, true);
            TokenBatch batch = TestModels.batch(40, 32);
            BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
            Forward fused = FusedForward.of(model).forward(batch, true, true);
            Forward graph = model.forwardGraph(batch, true, true);
            ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, true, true});
            String what = act + ", mask " + maskValue + ": ";
            BertModelTest.assertClose(ref.hidden()[0], fused.embeddings(), 1e-9, what + "embeddings");
            for (int l = 0; l < 3; l++) {
                BertModelTest.assertClose(ref.hidden()[l + 1], fused.hiddenStates().get(l), 1e-9, what + "layer " + l);
                BertModelTest.assertClose4(ref.attention()[l], fused.attention().get(l), 1e-9, what + "attention " + l);
            }
            BertModelTest.assertClose(ref.hidden()[3], fused.sequenceOutput(), 1e-9, what + "sequence output");
            BertModelTest.assertClose2(ref.pooled(), fused.pooled(), 1e-9, what + "pooled");
            BertModelTest.assertClose2(ref.logits(), fused.logits(), 1e-9, what + "logits");
            assertSame(graph, fused, 1e-9, what);
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void floatMatchesGraph(Activation act) {
        for (double maskValue : new double[] {-10000.0, FLOAT_MIN}) {
            BertWeights w = TestModels.randomWeights(config(act, 3, maskValue), 41, true);
            TokenBatch batch = TestModels.batch(40, 42);
            BertModel model = BertModel.fromWeights(w);
            assertSame(model.forwardGraph(batch, true, true), FusedForward.of(model).forward(batch, true, true), 1e-5,
                    act + ", mask " + maskValue + ": ");
        }
    }

    /** Both libraries the plan's matrix products may run on give the graph's result. */
    @ParameterizedTest
    @EnumSource(GemmRoute.Route.class)
    void eitherGemmRouteMatchesGraph(GemmRoute.Route route) {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF, 2, FLOAT_MIN), 45, true);
        TokenBatch batch = TestModels.batch(40, 46);
        BertModel model = BertModel.fromWeights(w);
        GemmRoute.use(route);
        try {
            assertSame(model.forwardGraph(batch, true, true), model.forward(batch, true, true), 1e-5, route + ": ");
        } finally {
            GemmRoute.use(null);
        }
    }

    /** Wider than the tiny model: several vectors per row and a tail, heads of 32 like MiniLM's. */
    @Test
    void floatMatchesGraphOnAMiniLmShapedLayer() {
        BertConfig c = new BertConfig(100, 96, 2, 3, 200, Activation.GELU_ERF, 40, 2, 1e-12, FLOAT_MIN, LABELS);
        BertWeights w = TestModels.randomWeights(c, 43, true);
        int[][] ids = new int[5][33];
        int[][] types = new int[5][33];
        int[][] mask = new int[5][33];
        java.util.SplittableRandom r = new java.util.SplittableRandom(44);
        for (int row = 0; row < 5; row++) {
            int length = 33 - 6 * row;
            for (int t = 0; t < length; t++) {
                ids[row][t] = r.nextInt(100);
                mask[row][t] = 1;
            }
        }
        TokenBatch batch = new TokenBatch(ids, types, mask);
        BertModel model = BertModel.fromWeights(w);
        assertSame(model.forwardGraph(batch, true, true), model.forward(batch, true, true), 1e-5, "H=96, S=33: ");
    }

    @Test
    void removedLayersAreSkipped() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_TANH, 4, -10000.0), 51, true);
        TokenBatch batch = TestModels.batch(40, 52);
        BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
        FusedForward fused = FusedForward.of(model);
        fused.forward(batch); // a plan made while all layers were live
        model.removeLayer(1);
        model.removeLayer(3);
        Forward f = fused.forward(batch, true, true);
        ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, false, true, false});
        assertEquals(List.of(0, 2), List.copyOf(f.hiddenStates().keySet()));
        assertEquals(List.of(0, 2), List.copyOf(f.attention().keySet()));
        BertModelTest.assertClose(ref.hidden()[4], f.sequenceOutput(), 1e-9, "sequence output, layers 1 and 3 removed");
        BertModelTest.assertClose2(ref.logits(), f.logits(), 1e-9, "logits, layers 1 and 3 removed");
        model.restoreLayer(3);
        ScalarBert.Result restored = new ScalarBert(w).run(batch, new boolean[] {true, false, true, true});
        BertModelTest.assertClose2(restored.logits(), fused.forward(batch).logits(), 1e-9, "logits after restoring 3");
    }

    @Test
    void shapeChangesReplanAndKeepTwoPlans() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF, 2, FLOAT_MIN), 61, true);
        BertModel model = BertModel.fromWeights(w);
        FusedForward fused = FusedForward.of(model);
        TokenBatch full = TestModels.batch(40, 62);
        TokenBatch two = full.slice(0, 2);
        TokenBatch shorter = new TokenBatch(new int[][] {{3, 4, 5}, {6, 7, 0}}, new int[][] {{0, 0, 1}, {0, 1, 0}},
                new int[][] {{1, 1, 1}, {1, 1, 0}});
        for (TokenBatch b : List.of(full, two, shorter, full, shorter, two)) {
            Forward f = fused.forward(b, false, true);
            assertSame(model.forwardGraph(b, false, true), f, 1e-5, b.batchSize() + "×" + b.seqLen() + ": ");
            assertTrue(fused.plansKept() <= 2, "at most two plans, got " + fused.plansKept());
        }
    }

    /** Training updates parameters in place (AdamW) or assigns them (loadState): the next forward must see it. */
    @Test
    void followsInPlaceParameterUpdates() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF, 2, -10000.0), 71, true);
        TokenBatch batch = TestModels.batch(40, 72);
        BertModel model = BertModel.fromWeights(w);
        INDArray before = model.forward(batch).logits().dup();
        Nd4j.getRandom().setSeed(73);
        for (Map.Entry<String, INDArray> e : model.parameters().entrySet()) {
            e.getValue().addi(Nd4j.randn(e.getValue().dataType(), e.getValue().shape()).muli(0.05));
        }
        Forward after = model.forward(batch);
        assertTrue(maxAbsDifference(before, after.logits()) > 1e-3, "the update changes the logits");
        assertSame(model.forwardGraph(batch, false, false), after, 1e-5, "after an in-place update: ");

        BertModel other = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF, 2, -10000.0), 74, true));
        model.loadState(other.allParameters(), other.liveMask());
        assertSame(other.forwardGraph(batch, false, false), model.forward(batch), 1e-5, "after loadState: ");
    }

    @Test
    void encoderWithoutHeadHasNoPooledOutputOrLogits() {
        BertConfig c = new BertConfig(40, 16, 2, 4, 24, Activation.GELU_ERF, 12, 2, 1e-12, FLOAT_MIN, List.of());
        BertWeights w = TestModels.randomWeights(c, 81, false);
        TokenBatch batch = TestModels.batch(40, 82);
        BertModel model = BertModel.fromWeights(w);
        Forward f = model.forward(batch);
        assertNull(f.pooled());
        assertNull(f.logits());
        assertSame(model.forwardGraph(batch, false, false), f, 1e-5, "encoder only: ");
    }

    /** One FusedForward per thread over the same (read-only) model: each gets the single-thread answer. */
    @Test
    void oneFusedForwardPerThreadSharesTheWeights() throws Exception {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_TANH, 2, -10000.0), 91, true);
        BertModel model = BertModel.fromWeights(w);
        TokenBatch batch = TestModels.batch(40, 92);
        INDArray expected = FusedForward.of(model).forward(batch).logits();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<INDArray>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                results.add(pool.submit(() -> {
                    FusedForward mine = FusedForward.of(model);
                    INDArray last = null;
                    for (int i = 0; i < 20; i++) {
                        last = mine.forward(batch).logits();
                    }
                    return last;
                }));
            }
            for (Future<INDArray> f : results) {
                assertEquals(expected, f.get(), "same logits from every thread");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void graphPathIsSelectableBySystemProperty() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF, 1, -10000.0), 95, true);
        TokenBatch batch = TestModels.batch(40, 96);
        BertModel model = BertModel.fromWeights(w);
        String old = System.getProperty(BertModel.FORWARD_PROPERTY);
        System.setProperty(BertModel.FORWARD_PROPERTY, "graph");
        try {
            assertEquals(model.forwardGraph(batch, false, false).logits(), model.forward(batch).logits(),
                    "layerfuse.forward=graph gives the graph's own result");
        } finally {
            if (old == null) {
                System.clearProperty(BertModel.FORWARD_PROPERTY);
            } else {
                System.setProperty(BertModel.FORWARD_PROPERTY, old);
            }
        }
    }

    // --- comparison ---------------------------------------------------------------------

    /** Every output of {@code actual} within {@code rel} × (largest |value| of the expected tensor). */
    static void assertSame(Forward expected, Forward actual, double rel, String what) {
        assertTensor(expected.sequenceOutput(), actual.sequenceOutput(), rel, what + "sequence output");
        assertTensor(expected.pooled(), actual.pooled(), rel, what + "pooled");
        assertTensor(expected.logits(), actual.logits(), rel, what + "logits");
        assertTensor(expected.embeddings(), actual.embeddings(), rel, what + "embeddings");
        assertEquals(expected.hiddenStates().keySet(), actual.hiddenStates().keySet(), what + "hidden-state layers");
        assertEquals(expected.attention().keySet(), actual.attention().keySet(), what + "attention layers");
        expected.hiddenStates().forEach((l, h) -> assertTensor(h, actual.hiddenStates().get(l), rel,
                what + "hidden state " + l));
        expected.attention().forEach((l, p) -> assertTensor(p, actual.attention().get(l), rel, what + "attention " + l));
    }

    static void assertTensor(INDArray expected, INDArray actual, double rel, String what) {
        if (expected == null) {
            assertNull(actual, what + " should be absent");
            return;
        }
        assertTrue(actual != null, what + " is missing");
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + " shape");
        assertEquals(expected.dataType(), actual.dataType(), what + " data type");
        double scale = Math.max(1e-30, expected.amaxNumber().doubleValue());
        double diff = maxAbsDifference(expected, actual);
        assertTrue(diff <= rel * scale, what + ": max |difference| " + diff + " > " + rel + " × " + scale);
    }

    private static double maxAbsDifference(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    @Test
    void aForwardResumedFromAHiddenStateIsTheFullForwardBitForBit() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF, 4, -10000.0), 37, true);
        TokenBatch batch = TestModels.batch(40, 32);
        BertModel model = BertModel.fromWeights(w, DataType.FLOAT);
        Forward full = model.forward(batch, true, false);
        for (int l = 0; l < 4; l++) {
            // layer l removed: resume after it from the state of the layer before (or the embeddings)
            model.removeLayer(l);
            org.nd4j.linalg.api.ndarray.INDArray start = l == 0 ? full.embeddings() : full.hiddenStates().get(l - 1);
            Forward resumed = model.forwardAfter(batch, l, start);
            Forward again = model.forward(batch);
            org.junit.jupiter.api.Assertions.assertArrayEquals(again.logits().data().asFloat(),
                    resumed.logits().data().asFloat(), "logits without layer " + l);
            org.junit.jupiter.api.Assertions.assertArrayEquals(again.sequenceOutput().data().asFloat(),
                    resumed.sequenceOutput().data().asFloat(), "sequence output without layer " + l);
            model.restoreLayer(l);
        }
        // resumed after the last layer: only the head runs
        Forward head = model.forwardAfter(batch, 3, full.hiddenStates().get(3));
        org.junit.jupiter.api.Assertions.assertArrayEquals(full.logits().data().asFloat(), head.logits().data().asFloat());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> model.forwardAfter(batch, 0, org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, 2, 3)));
    }
}
