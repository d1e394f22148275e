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

    private static void assertSameEvaluation(Evaluation want, Evaluation got, String what) {
        assertEquals(want.accuracy(), got.accuracy(), 0.0, what);
        assertEquals(want.macroF1(), got.macroF1(), 0.0, what);
        assertEquals(want.loss(), got.loss(), 0.0, what + " (loss: the logits are bit for bit the same)");
        assertArrayEquals(want.confusion(), got.confusion(), what);
    }

    @Test
    void removingAnyLayerAfterAKeptEvaluationGivesTheFullEvaluationExactly() {
        BertModel model = TinyTask.trainedModel();
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
    void recentKeepsThePinnedAndTheLatestStates() {
        BertModel model = TinyTask.trainedModel();
        EncodedExamples test = TinyTask.examples(16, 5);
        TestStates.Recent recent = new TestStates.Recent();
        recent.put("start", TestStates.evaluate(model, test, 8).states(), true);
        recent.put("a", TestStates.evaluate(model, test, 8).states(), false);
        recent.put("b", TestStates.evaluate(model, test, 8).states(), false);
        assertNotNull(recent.get("start"), "the pinned states outlive later ones");
        assertNull(recent.get("a"), "only the latest is kept beside the pinned");
        assertNotNull(recent.get("b"));
        assertNull(recent.get(null));
        recent.clear();
        assertNull(recent.get("start"));
        assertNull(recent.get("b"));
    }
}
