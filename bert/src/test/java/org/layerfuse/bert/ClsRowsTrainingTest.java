package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.bert.graph.BertGraph;
import org.layerfuse.bert.graph.PlanOpTimes;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training graph whose last live block computes the [CLS] rows alone
 * ({@link BertGraph#build(BertConfig, List, java.util.Map, DataType, boolean)}) against the
 * graph that computes every row: the same loss, logits and gradient for every parameter, embedding
 * tables included, within float rounding (float64 1e-9, float32 1e-5 of each tensor's largest
 * value), padded and packed, with a distillation term, and with the last block pruned (the
 * narrowed block is then the one before the identity). The whole-row graph's gradients are the
 * ones {@code BertModelTest} checks against finite differences.
 */
class ClsRowsTrainingTest {

    private static final int[] LENGTHS = {9, 3, 6, 1, 5};
    private static final int[] LABEL_IDS = {2, 0, 1, 1, 0};

    @AfterEach
    void back() {
        BertModel.clsRowsOnlyTraining(null);
        BertModel.packTraining(null);
    }

    private static BertConfig config(Activation act) {
        return new BertConfig(60, 40, 3, 5, 72, act, 16, 2, 1e-12, -10000.0, List.of("a", "b", "c"));
    }

    @ParameterizedTest
    @CsvSource({"GELU_ERF, DOUBLE, false, -1, 1e-9", "GELU_TANH, DOUBLE, true, -1, 1e-9",
        "GELU_ERF, DOUBLE, true, 2, 1e-9", "GELU_ERF, FLOAT, false, -1, 1e-5", "GELU_ERF, FLOAT, true, -1, 1e-5",
        "GELU_TANH, FLOAT, true, 2, 1e-5"})
    void gradientsMatchTheWholeRowsGraph(Activation act, String type, boolean pack, int removed, double rel) {
        DataType dtype = DataType.valueOf(type);
        BertWeights w = TestModels.randomWeights(config(act), 61, true);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 62);
        INDArray teacher = PackedTrainingTest.teacher(dtype);
        BertModel.packTraining(pack);
        Gradients whole = gradients(w, dtype, batch, teacher, false, removed);
        Gradients cls = gradients(w, dtype, batch, teacher, true, removed);
        PackedTrainingTest.assertSameGradients(whole, cls, rel, dtype + " " + act + (pack ? " packed" : " padded")
                + (removed >= 0 ? ", layer " + removed + " removed" : ""));
    }

    @Test
    void theLastLiveBlockComputesTheClsRowsAlone() {
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF), 63, true),
                DataType.FLOAT);
        model.removeLayer(2);
        BertGraph.Built g = model.trainingGraph();
        assertTrue(g.clsRowsOnly(), "the training graph of a classifier narrows its last live block");
        assertFalse(model.graph().clsRowsOnly(), "the graph of every row stays for the forward");
        assertEquals(BertGraph.hiddenName(1) + ".selected", g.finalHidden(), "identity layers after it pass it on");
        // each live block's GELU: layer 0 over every row of the padded batch, layer 1 over the 5 [CLS] rows
        BertModel.packTraining(false);
        List<Long> geluRows = new java.util.concurrent.CopyOnWriteArrayList<>();
        PlanOpTimes.Listener before = PlanOpTimes.listen((op, shape, nanos) -> {
            if (op.equals("layerfuse_gelu") && shape != null) {
                geluRows.add(shape[0]);
            }
        });
        try {
            for (int call = 0; call < 2; call++) { // the first builds the plan, the second runs it
                model.gradients(PackedForwardTest.batch(60, 12, LENGTHS, 64), LABEL_IDS).free();
            }
        } finally {
            PlanOpTimes.listen(before);
        }
        assertEquals(List.of(60L, 5L), geluRows.subList(geluRows.size() - 2, geluRows.size()), geluRows.toString());

        BertModel.clsRowsOnlyTraining(false);
        BertModel whole = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF), 63, true),
                DataType.FLOAT);
        assertSame(whole.graph(), whole.trainingGraph(), "switched off: gradient calls run the graph of every row");
    }

    private static Gradients gradients(BertWeights w, DataType dtype, TokenBatch batch, INDArray teacher, boolean cls,
                                       int removed) {
        BertModel.clsRowsOnlyTraining(cls);
        BertModel model = BertModel.fromWeights(w, dtype);
        if (removed >= 0) {
            model.removeLayer(removed);
        }
        assertEquals(cls, model.trainingGraph().clsRowsOnly(), "the graph asked for");
        return model.gradients(batch, LABEL_IDS, teacher, 0.5, 2.0);
    }
}
