package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link BertModel#gradients(TokenBatch, int[], java.util.Collection)}: the named parameters'
 * gradients only, each with the raw bits of the full gradient call's (whole batch and
 * micro-batches), the loss and logits unchanged.
 */
class SelectedGradientsTest {

    private static BertModel model() {
        Backend.init();
        BertConfig c = TestModels.tinyConfig(Activation.GELU_ERF, 3, List.of("a", "b", "c"));
        return BertModel.fromWeights(TestModels.randomWeights(c, 7, true), DataType.FLOAT);
    }

    @Test
    void layerGradientsHaveTheFullCallsBitsAndNothingElseIsReturned() {
        BertModel model = model();
        model.removeLayer(1);
        TokenBatch batch = TestModels.batch(40, 9);
        int[] labels = {2, 0, 1};
        List<String> names = new ArrayList<>();
        for (int l : model.liveLayers()) {
            ParamNames.layerParams(model.config(), l).forEach(e -> names.add(e.name()));
        }
        for (int perCall : new int[] {3, 2}) { // one call, and micro-batches of 2 + 1 rows
            Gradients all = model.gradients(batch, labels, null, 1.0, 1.0, perCall);
            Gradients some = model.gradients(batch, labels, names, perCall);
            assertEquals(names, new ArrayList<>(some.byParameter().keySet()), "exactly the named gradients");
            assertEquals(Double.doubleToLongBits(all.loss()), Double.doubleToLongBits(some.loss()), "loss");
            assertArrayEquals(NativeFloats.toArray(all.logits()), NativeFloats.toArray(some.logits()), "logits");
            for (String name : names) {
                assertArrayEquals(NativeFloats.toArray(all.byParameter().get(name)),
                        NativeFloats.toArray(some.byParameter().get(name)), name + " (" + perCall + " rows a call)");
            }
            all.free();
            some.free();
        }
    }

    @Test
    void anEmbeddingTableAndTheHeadCanBeNamed() {
        BertModel model = model();
        TokenBatch batch = TestModels.batch(40, 10);
        int[] labels = {1, 1, 0};
        List<String> names = List.of(ParamNames.POSITION_EMBEDDINGS, ParamNames.CLASSIFIER_KERNEL);
        Gradients all = model.gradients(batch, labels);
        Gradients some = model.gradients(batch, labels, names);
        assertEquals(names, new ArrayList<>(some.byParameter().keySet()));
        for (String name : names) {
            assertArrayEquals(NativeFloats.toArray(all.byParameter().get(name)),
                    NativeFloats.toArray(some.byParameter().get(name)), name);
        }
        all.free();
        some.free();
    }

    @Test
    void anUnknownOrRemovedParameterIsNamedInTheError() {
        BertModel model = model();
        model.removeLayer(0);
        TokenBatch batch = TestModels.batch(40, 11);
        int[] labels = {0, 1, 2};
        String removed = ParamNames.layerParams(model.config(), 0).get(0).name();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.gradients(batch, labels, List.of(removed)));
        assertTrue(e.getMessage().contains(removed), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.gradients(batch, labels, List.of("no.such")));
        assertTrue(e.getMessage().contains("no.such"), e.getMessage());
    }
}
