package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.layerfuse.bert.graph.BertGraph;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** The SameDiff graph against an independent scalar implementation (ScalarBert). */
class BertModelTest {

    private static final List<String> LABELS = List.of("a", "b", "c");

    @ParameterizedTest
    @EnumSource(Activation.class)
    void forwardMatchesScalarReferenceInDouble(Activation act) {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(act, 3, LABELS), 1, true);
        TokenBatch batch = TestModels.batch(40, 2);
        BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
        Forward f = model.forward(batch, true, true);
        ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, true, true});

        assertClose(ref.hidden()[0], f.embeddings(), 1e-9, "embeddings");
        for (int l = 0; l < 3; l++) {
            assertClose(ref.hidden()[l + 1], f.hiddenStates().get(l), 1e-9, "hidden state of layer " + l);
            assertClose4(ref.attention()[l], f.attention().get(l), 1e-9, "attention of layer " + l);
        }
        assertClose(ref.hidden()[3], f.sequenceOutput(), 1e-9, "sequence output");
        assertClose2(ref.pooled(), f.pooled(), 1e-9, "pooled");
        assertClose2(ref.logits(), f.logits(), 1e-9, "logits");
    }

    @Test
    void forwardMatchesScalarReferenceInFloat() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 2, LABELS), 3, true);
        TokenBatch batch = TestModels.batch(40, 4);
        Forward f = BertModel.fromWeights(w).forward(batch);
        ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, true});
        assertClose(ref.hidden()[2], f.sequenceOutput(), 1e-4, "sequence output");
        assertClose2(ref.logits(), f.logits(), 1e-4, "logits");
    }

    /** A larger ε (RoBERTa-style 1e−5) takes the written-out layer norm: still exact. */
    @Test
    void layerNormEpsilonIsHonoured() {
        BertConfig c = new BertConfig(40, 16, 2, 4, 24, Activation.GELU_ERF, 12, 2, 1e-5, -10000.0, LABELS);
        BertWeights w = TestModels.randomWeights(c, 21, true);
        TokenBatch batch = TestModels.batch(40, 22);
        Forward f = BertModel.fromWeights(w, DataType.DOUBLE).forward(batch);
        ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, true});
        assertClose(ref.hidden()[2], f.sequenceOutput(), 1e-9, "sequence output with eps 1e-5");
    }

    @Test
    void paddedKeysGetZeroAttention() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 1, LABELS), 5, true);
        TokenBatch batch = TestModels.batch(40, 6);
        INDArray probs = BertModel.fromWeights(w).forward(batch, false, true).attention().get(0);
        // Row 2 has 2 real tokens: keys 2..6 are padding.
        for (int head = 0; head < 4; head++) {
            for (int q = 0; q < 7; q++) {
                double rowSum = 0;
                for (int k = 0; k < 7; k++) {
                    double p = probs.getDouble(2, head, q, k);
                    rowSum += p;
                    if (k >= 2) {
                        assertEquals(0.0, p, 0.0, "padded key " + k + " of row 2 must get no attention");
                    }
                }
                assertEquals(1.0, rowSum, 1e-5);
            }
        }
    }

    @Test
    void identityLayerEqualsRunningTheRemainingLayersByHand() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_TANH, 4, LABELS), 7, true);
        TokenBatch batch = TestModels.batch(40, 8);
        BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
        INDArray q1Before = model.parameter(ParamNames.LayerMatrix.QUERY.kernel(2));
        model.removeLayer(1);
        model.removeLayer(3);
        Forward f = model.forward(batch, true, false);
        ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, false, true, false});
        assertClose(ref.hidden()[4], f.sequenceOutput(), 1e-9, "sequence output with layers 1 and 3 removed");
        assertClose2(ref.logits(), f.logits(), 1e-9, "logits with layers 1 and 3 removed");
        assertEquals(List.of(0, 2), List.copyOf(f.hiddenStates().keySet()), "hidden states of live layers only");
        assertSame(q1Before, model.parameter(ParamNames.LayerMatrix.QUERY.kernel(2)), "no reload of other layers");
        assertFalse(model.parameters().containsKey(ParamNames.LayerMatrix.QUERY.kernel(1)));

        model.restoreLayer(1);
        model.restoreLayer(3);
        ScalarBert.Result full = new ScalarBert(w).run(batch, new boolean[] {true, true, true, true});
        assertClose2(full.logits(), model.forward(batch).logits(), 1e-9, "logits after restoring");
    }

    @Test
    void removingLayersReducesExecutedOps() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 4, LABELS), 9, true);
        TokenBatch batch = TestModels.batch(40, 10);
        BertModel model = BertModel.fromWeights(w);
        int full = executedOps(model, batch);
        model.removeLayer(2);
        int oneRemoved = executedOps(model, batch);
        model.removeLayer(0);
        int twoRemoved = executedOps(model, batch);
        assertTrue(oneRemoved < full, "ops " + oneRemoved + " < " + full);
        assertEquals(full - oneRemoved, oneRemoved - twoRemoved, "each block costs the same number of ops");
        assertTrue(model.parameterCount() < BertModel.fromWeights(w).parameterCount());
    }

    private static int executedOps(BertModel model, TokenBatch batch) {
        AtomicInteger count = new AtomicInteger();
        SameDiff sd = model.sameDiff();
        BaseListener counter = new BaseListener() {
            @Override
            public boolean isActive(org.nd4j.autodiff.listeners.Operation operation) {
                return true;
            }

            @Override
            public void opExecution(SameDiff s, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx,
                                    INDArray[] outputs) {
                count.incrementAndGet();
            }
        };
        sd.setListeners(counter);
        model.forwardGraph(batch, false, false);
        sd.setListeners();
        return count.get();
    }

    /**
     * Every parameter's gradient (two random entries each) against central differences of the
     * loss, in float64, through the training graph's Java ops (dense, attention, layer norm and
     * GELU with their Java gradients): both GELU forms, ReLU, and a RoBERTa-style ε = 1e-5 that
     * the layer norm must not ignore.
     */
    @ParameterizedTest(name = "{0}, eps {1}")
    @org.junit.jupiter.params.provider.CsvSource({"GELU_ERF, 1e-12", "GELU_TANH, 1e-12", "RELU, 1e-12",
        "GELU_ERF, 1e-5"})
    void gradientsMatchCentralFiniteDifferences(Activation act, double layerNormEps) {
        BertConfig tiny = TestModels.tinyConfig(act, 2, LABELS);
        BertConfig c = new BertConfig(tiny.vocabSize(), tiny.hiddenSize(), tiny.numHiddenLayers(),
                tiny.numAttentionHeads(), tiny.intermediateSize(), act, tiny.maxPositionEmbeddings(),
                tiny.typeVocabSize(), layerNormEps, tiny.attentionMaskValue(), LABELS);
        BertWeights w = TestModels.randomWeights(c, 11, true);
        TokenBatch batch = TestModels.batch(40, 12);
        BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
        int[] labels = {0, 2, 1};
        INDArray teacher = org.nd4j.linalg.factory.Nd4j.createFromArray(
                new double[][] {{1.0, -0.5, 0.2}, {0.3, 0.1, -1.0}, {-0.2, 0.9, 0.4}});
        Gradients g = model.gradients(batch, labels, teacher, 0.5, 2.0);
        assertEquals(model.parameters().keySet(), g.byParameter().keySet());

        java.util.SplittableRandom r = new java.util.SplittableRandom(13);
        double eps = 1e-6;
        int checked = 0;
        for (String name : g.byParameter().keySet()) {
            INDArray p = model.parameter(name);
            INDArray grad = g.byParameter().get(name);
            for (int trial = 0; trial < 2; trial++) {
                long i = r.nextLong(p.length());
                double original = p.getDouble(i);
                p.putScalar(i, original + eps);
                double plus = model.gradients(batch, labels, teacher, 0.5, 2.0).loss();
                p.putScalar(i, original - eps);
                double minus = model.gradients(batch, labels, teacher, 0.5, 2.0).loss();
                p.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                double analytic = grad.getDouble(i);
                double scale = Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic));
                assertTrue(Math.abs(numeric - analytic) / scale < 1e-5 || Math.abs(numeric - analytic) < 1e-9,
                        name + "[" + i + "]: analytic " + analytic + " vs numeric " + numeric);
                checked++;
            }
        }
        assertTrue(checked >= 2 * 37, "checked " + checked);
    }

    @Test
    void lossIsCrossEntropyPlusScaledKl() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 1, LABELS), 15, true);
        TokenBatch batch = TestModels.batch(40, 16);
        BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
        int[] labels = {2, 0, 1};
        double[][] t = {{0.5, 1.5, -1.0}, {2.0, 0.0, 0.0}, {-1.0, -1.0, 3.0}};
        Gradients g = model.gradients(batch, labels, org.nd4j.linalg.factory.Nd4j.createFromArray(t), 0.3, 2.0);
        double[][] z = g.logits().toDoubleMatrix();
        double ce = 0;
        double kl = 0;
        for (int i = 0; i < 3; i++) {
            ce -= logSoftmax(z[i], 1)[labels[i]];
            double[] lt = logSoftmax(t[i], 2);
            double[] ls = logSoftmax(z[i], 2);
            for (int c = 0; c < 3; c++) {
                kl += Math.exp(lt[c]) * (lt[c] - ls[c]);
            }
        }
        double expected = 0.3 * ce / 3 + 0.7 * 4 * kl / 3;
        assertEquals(expected, g.loss(), 1e-12);
    }

    private static double[] logSoftmax(double[] z, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v / temperature);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v / temperature - max);
        }
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] / temperature - max - Math.log(sum);
        }
        return out;
    }

    @Test
    void badInputsAreRejectedWithClearErrors() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 1, LABELS), 17, true);
        BertModel model = BertModel.fromWeights(w);
        TokenBatch outOfVocab = new TokenBatch(new int[][] {{1, 99}}, new int[][] {{0, 0}}, new int[][] {{1, 1}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(outOfVocab));
        assertTrue(e.getMessage().contains("token id 99"), e.getMessage());
        TokenBatch batch = TestModels.batch(40, 18);
        e = assertThrows(IllegalArgumentException.class, () -> model.gradients(batch, new int[] {0, 5, 1}));
        assertTrue(e.getMessage().contains("label 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.removeLayer(1));
    }

    @Test
    void exportDropsRemovedLayersAndRenumbers() {
        BertWeights w = TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 3, LABELS), 19, true);
        TokenBatch batch = TestModels.batch(40, 20);
        BertModel model = BertModel.fromWeights(w);
        model.removeLayer(1);
        BertWeights exported = model.exportWeights();
        assertEquals(2, exported.config().numHiddenLayers());
        assertEquals(w.get(ParamNames.LayerMatrix.KEY.kernel(2)), exported.get(ParamNames.LayerMatrix.KEY.kernel(1)));
        INDArray reloaded = BertModel.fromWeights(exported).forward(batch).logits();
        BitwiseArrays.assertBitwiseEqual(model.forward(batch).logits(), reloaded, "a reloaded export gives identical logits");
        assertEquals(model.parameterCount(), exported.parameterCount());
    }

    // --- comparison helpers -------------------------------------------------------------

    static void assertClose(double[][][] expected, INDArray actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                for (int k = 0; k < expected[i][j].length; k++) {
                    double a = actual.getDouble(i, j, k);
                    assertTrue(Math.abs(expected[i][j][k] - a) <= tol,
                            what + " at [" + i + "," + j + "," + k + "]: expected " + expected[i][j][k] + ", got " + a);
                }
            }
        }
    }

    static void assertClose2(double[][] expected, INDArray actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                double a = actual.getDouble(i, j);
                assertTrue(Math.abs(expected[i][j] - a) <= tol,
                        what + " at [" + i + "," + j + "]: expected " + expected[i][j] + ", got " + a);
            }
        }
    }

    static void assertClose4(double[][][][] expected, INDArray actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int h = 0; h < expected[i].length; h++) {
                for (int q = 0; q < expected[i][h].length; q++) {
                    for (int k = 0; k < expected[i][h][q].length; k++) {
                        double a = actual.getDouble(i, h, q, k);
                        assertTrue(Math.abs(expected[i][h][q][k] - a) <= tol, what + " at [" + i + "," + h + "," + q
                                + "," + k + "]: expected " + expected[i][h][q][k] + ", got " + a);
                    }
                }
            }
        }
    }
}
