package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.bert.graph.BertGraph;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradient calls with padding left out ({@link BertModel#packTraining}: the training graph fed
 * each sequence's real tokens alone) against the same calls on the padded batch: the same loss,
 * logits and gradient for every parameter, embedding tables included, within float rounding
 * (float64 1e-9, float32 1e-5 of each tensor's largest value; the key bias, whose gradient is 0 in
 * exact arithmetic, against the query bias's largest); the padded calls are the ones
 * {@code BertModelTest} checks against finite differences and {@code TrainingGraphTest} against
 * float64. Also: that packing took place, and that batches it does not apply to keep the padded
 * call's bits.
 */
class PackedTrainingTest {

    private static final List<String> LABELS = List.of("a", "b", "c");
    /** Lengths 9, 3, 6, 1 and 5 of 12: 24 real tokens of 60, packed into 24 rows. */
    private static final int[] LENGTHS = {9, 3, 6, 1, 5};
    private static final int[] LABEL_IDS = {2, 0, 1, 1, 0};

    @AfterEach
    void packingBackToDefault() {
        BertModel.packTraining(null);
    }

    /** Wider than the tiny model: several vectors per row, a tail, heads of 8. */
    private static BertConfig config(Activation act) {
        return new BertConfig(60, 40, 2, 5, 72, act, 16, 2, 1e-12, -10000.0, LABELS);
    }

    @ParameterizedTest
    @CsvSource({"GELU_ERF, DOUBLE, 1e-9", "GELU_TANH, DOUBLE, 1e-9", "GELU_ERF, FLOAT, 1e-5", "GELU_TANH, FLOAT, 1e-5"})
    void gradientsMatchThePaddedCall(Activation act, String type, double rel) {
        DataType dtype = DataType.valueOf(type);
        BertWeights w = TestModels.randomWeights(config(act), 41, true);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 42);
        INDArray teacher = teacher(dtype);
        Gradients padded = gradients(w, dtype, batch, teacher, false);
        Gradients packed = gradients(w, dtype, batch, teacher, true);
        assertSameGradients(padded, packed, rel, dtype + " " + act);
    }

    @Test
    void theGraphIsFedTheRealTokensAlone() {
        BertModel model = floatModel(45);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 46);
        BertModel.packTraining(true);
        model.gradients(batch, LABEL_IDS).free();
        assertEquals(PackedRows.roundUp(24), embeddingRows(model), "packed rows");
        BertModel.packTraining(false);
        model.gradients(batch, LABEL_IDS).free();
        assertEquals(60, embeddingRows(model), "padded rows");
    }

    @Test
    void packedCallsOfChangingLengthsMatchTheirPaddedCalls() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF), 47, true);
        BertModel model = BertModel.fromWeights(w, DataType.FLOAT);
        BertModel reference = BertModel.fromWeights(w, DataType.FLOAT);
        int[][] lengths = {{12, 2, 7, 4, 3}, LENGTHS, {1, 1, 2, 1, 3}, LENGTHS};
        for (int i = 0; i < lengths.length; i++) { // a plan per shape, each call after another shape
            TokenBatch batch = PackedForwardTest.batch(60, 12, lengths[i], 50 + i);
            BertModel.packTraining(false);
            Gradients padded = reference.gradients(batch, LABEL_IDS);
            BertModel.packTraining(true);
            Gradients packed = model.gradients(batch, LABEL_IDS);
            assertSameGradients(padded, packed, 1e-5, "call " + i);
            padded.free();
            packed.free();
        }
    }

    @Test
    void namedParametersGetTheFullCallsBits() {
        BertModel model = floatModel(48);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 49);
        BertModel.packTraining(true);
        Gradients all = model.gradients(batch, LABEL_IDS);
        List<String> some = List.of(ParamNames.LayerMatrix.QUERY.kernel(0), ParamNames.WORD_EMBEDDINGS,
                ParamNames.LayerMatrix.VALUE.bias(1));
        Gradients named = model.gradients(batch, LABEL_IDS, some);
        for (String name : some) {
            BitwiseArrays.assertBitwiseEqual(all.byParameter().get(name), named.byParameter().get(name), name);
        }
    }

    @Test
    void batchesThatDoNotPackKeepThePaddedCallsBits() {
        BertWeights w = TestModels.randomWeights(config(Activation.GELU_ERF), 51, true);
        TokenBatch full = PackedForwardTest.batch(60, 12, new int[] {12, 12, 11, 12, 12}, 52); // 59 rows: no gain
        int[][] mask = full.attentionMask();
        int[][] holed = new int[mask.length][];
        for (int r = 0; r < mask.length; r++) {
            holed[r] = mask[r].clone();
        }
        holed[1] = new int[] {1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}; // not ones then zeros
        TokenBatch withHole = new TokenBatch(full.inputIds(), full.tokenTypeIds(), holed);
        for (TokenBatch batch : List.of(full, withHole)) {
            BertModel.packTraining(false);
            Gradients padded = BertModel.fromWeights(w, DataType.FLOAT).gradients(batch, LABEL_IDS);
            BertModel.packTraining(true);
            BertModel model = BertModel.fromWeights(w, DataType.FLOAT);
            Gradients packed = model.gradients(batch, LABEL_IDS);
            assertEquals(60, embeddingRows(model), "not packed");
            assertEquals(padded.loss(), packed.loss(), 0.0, "loss");
            for (Map.Entry<String, INDArray> e : padded.byParameter().entrySet()) {
                BitwiseArrays.assertBitwiseEqual(e.getValue(), packed.byParameter().get(e.getKey()), e.getKey());
            }
        }
    }

    @Test
    void sequenceLayoutReadsThePackedMask() {
        float[] mask = {1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1};
        SequenceLayout packed = SequenceLayout.of(mask, 3, 4, 8, "test");
        assertArrayEquals(new int[] {0, 3, 4}, packed.offsets());
        assertArrayEquals(new int[] {3, 1, 4}, packed.lengths());
        assertEquals(8, packed.real());
        assertArrayEquals(new long[] {0, 2 * 9, 2 * 10}, packed.probabilityOffsets(2));
        SequenceLayout padded = SequenceLayout.of(mask, 3, 4, 12, "test");
        assertArrayEquals(new int[] {0, 4, 8}, padded.offsets());
        assertArrayEquals(new int[] {4, 4, 4}, padded.lengths());
        IllegalArgumentException hole = assertThrows(IllegalArgumentException.class,
                () -> SequenceLayout.of(new float[] {1, 0, 1, 0, 1, 1, 1, 1}, 2, 4, 6, "attention"));
        assertTrue(hole.getMessage().contains("attention") && hole.getMessage().contains("sequence 0"),
                hole.getMessage());
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                () -> SequenceLayout.of(mask, 3, 4, 7, "attention"));
        assertTrue(few.getMessage().contains("8 real tokens"), few.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> SequenceLayout.of(new float[] {1, 1, 0, 0}, 2, 2, 3, "attention"));
        assertTrue(empty.getMessage().contains("no real token"), empty.getMessage());
    }

    private static Gradients gradients(BertWeights w, DataType dtype, TokenBatch batch, INDArray teacher,
                                       boolean pack) {
        BertModel.packTraining(pack);
        BertModel model = BertModel.fromWeights(w, dtype);
        Gradients g = model.gradients(batch, LABEL_IDS, teacher, 0.5, 2.0);
        assertEquals(pack ? PackedRows.roundUp(24) : 60, embeddingRows(model), pack ? "packed" : "padded");
        return g;
    }

    private static BertModel floatModel(long seed) {
        return BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF), seed, true), DataType.FLOAT);
    }

    private static long embeddingRows(BertModel model) {
        return model.trainingGraph().sd().getVariable(BertGraph.EMBEDDINGS_SUM).getArr().rows();
    }

    static INDArray teacher(DataType dtype) {
        return Nd4j.createFromArray(new double[][] {{0.5, -0.5, 0.2}, {0.3, 0.9, -1.0}, {-0.2, 0.1, 0.4},
            {1.1, 0.0, -0.3}, {0.2, 0.2, 0.7}}).castTo(dtype);
    }

    /** Loss, logits and every gradient within {@code rel} of each tensor's largest magnitude. */
    static void assertSameGradients(Gradients expected, Gradients actual, double rel, String what) {
        assertEquals(expected.loss(), actual.loss(), rel * Math.abs(expected.loss()), what + ": loss");
        assertClose(expected.logits(), actual.logits(), rel, what + ": logits");
        assertEquals(expected.byParameter().keySet(), actual.byParameter().keySet(), what);
        for (Map.Entry<String, INDArray> e : expected.byParameter().entrySet()) {
            String name = e.getKey();
            int layer = ParamNames.layerOf(name);
            // The key bias's gradient is 0 in exact arithmetic (softmax does not see a shift common
            // to a query's scores): both calls hold rounding noise, measured against the query bias's.
            double scale = layer >= 0 && name.equals(ParamNames.LayerMatrix.KEY.bias(layer))
                    ? largest(expected.byParameter().get(ParamNames.LayerMatrix.QUERY.bias(layer)))
                    : largest(e.getValue());
            assertClose(e.getValue(), actual.byParameter().get(name), rel, scale, what + ": " + name);
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, double rel, String what) {
        assertClose(expected, actual, rel, largest(expected), what);
    }

    private static double largest(INDArray a) {
        double scale = 0;
        for (double v : a.dup('c').data().asDouble()) {
            scale = Math.max(scale, Math.abs(v));
        }
        return scale;
    }

    private static void assertClose(INDArray expected, INDArray actual, double rel, double scale, String what) {
        double[] x = expected.dup('c').data().asDouble();
        double[] y = actual.dup('c').data().asDouble();
        assertEquals(x.length, y.length, what);
        assertTrue(scale > 0, what + " is all zeros");
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(x[i] - y[i]) <= rel * scale, what + "[" + i + "]: packed " + y[i] + " vs padded "
                    + x[i] + " (largest " + scale + ")");
        }
    }
}
