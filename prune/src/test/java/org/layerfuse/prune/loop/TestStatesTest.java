package org.layerfuse.prune.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.prune.TinyTask;

/** Evaluations resumed from kept test states against evaluating the pruned model in full. */
class TestStatesTest {

    private static BertModel trained;

    @org.junit.jupiter.api.BeforeAll
    static void train() {
        trained = TinyTask.trainedModel();
    }

    private static void assertSameEvaluation(Evaluation want, Evaluation got, String what) {
        assertEquals(want.accuracy(), got.accuracy(), 0.0, what);
        assertEquals(want.macroF1(), got.macroF1(), 0.0, what);
        assertEquals(want.loss(), got.loss(), 0.0, what + " (loss: the logits are bit for bit the same)");
        assertArrayEquals(want.confusion(), got.confusion(), what);
    }

    @Test
    void removingAnyLayerAfterAKeptEvaluationGivesTheFullEvaluationExactly() {
        BertModel model = trained.copy();
        model.removeLayer(1); // a gap before layer 2
        EncodedExamples test = TinyTask.examples(96, 5);
        for (int batch : new int[] {96, 40}) {
            TestStates.Evaluated kept = TestStates.evaluate(model, test, batch);
            assertSameEvaluation(Evaluator.evaluate(model, test, batch), kept.evaluation(), "kept, batch " + batch);
            assertNotNull(kept.states());
            for (int l : model.liveLayers()) {
                model.removeLayer(l);
                try {
                    assertSameEvaluation(Evaluator.evaluate(model, test, batch),
                            kept.states().resumeWithout(model, test, batch, l), "without " + l + ", batch " + batch);
                } finally {
                    model.restoreLayer(l);
                }
            }
            kept.states().close();
        }
    }

    @Test
    void statesOverTheBoundAreNotKeptAndTheEvaluationIsTheSame() {
        BertModel model = trained.copy();
        EncodedExamples test = TinyTask.examples(32, 5);
        TestStates.Evaluated bounded = TestStates.evaluate(model, test, 8, 1);
        assertNull(bounded.states());
        assertSameEvaluation(Evaluator.evaluate(model, test, 8), bounded.evaluation(), "bounded");
    }

    @Test
    void recentKeepsOnlyTheLatestStates() {
        BertModel model = trained.copy();
        EncodedExamples test = TinyTask.examples(16, 5);
        TestStates.Recent recent = new TestStates.Recent();
        TestStates a = TestStates.evaluate(model, test, 8).states();
        recent.put("a", a);
        recent.put("b", TestStates.evaluate(model, test, 8).states());
        assertNull(recent.get("a"), "replaced");
        org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> a.resumeWithout(model, test, 8, 0), "the replaced states were closed");
        assertNotNull(recent.get("b"));
        assertNull(recent.get(null));
        recent.clear();
        assertNull(recent.get("b"));
    }
}
