package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link StageCosts}: with no stage left out its forward is the fused forward bit for bit; each
 * stage left out really is not computed (the output changes, or for the head there is none); the
 * timings are positive, every stage left out included (the products alone).
 */
class StageCostsTest {

    private static BertModel model() {
        BertConfig config = new BertConfig(60, 40, 2, 5, 72, Activation.GELU_ERF, 16, 2, 1e-12, -10000.0,
                List.of("a", "b"));
        return BertModel.fromWeights(TestModels.randomWeights(config, 81, true), DataType.FLOAT);
    }

    @Test
    void nothingLeftOutIsTheFusedForward() {
        BertModel model = model();
        TokenBatch batch = PackedForwardTest.batch(60, 12, new int[] {9, 3, 12, 5}, 82);
        StageCosts costs = new StageCosts(model, batch);
        Forward profiled = costs.run(EnumSet.noneOf(StageCosts.Stage.class));
        Forward fused = model.forward(batch);
        BitwiseArrays.assertBitwiseEqual(fused.sequenceOutput(), profiled.sequenceOutput(), "sequence output");
        BitwiseArrays.assertBitwiseEqual(fused.logits(), profiled.logits(), "logits");
        assertTrue(costs.millis(Set.of()) > 0, "a positive time");
    }

    @Test
    void eachStageLeftOutIsNotComputed() {
        BertModel model = model();
        TokenBatch batch = PackedForwardTest.batch(60, 12, new int[] {9, 3, 12, 5}, 83);
        StageCosts costs = new StageCosts(model, batch);
        float[] whole = costs.run(Set.of()).sequenceOutput().data().asFloat();
        for (StageCosts.Stage stage : StageCosts.Stage.values()) {
            Forward f = costs.run(EnumSet.of(stage));
            if (stage == StageCosts.Stage.HEAD) {
                assertNull(f.logits(), "no head, no logits");
                assertTrue(Arrays.equals(whole, f.sequenceOutput().data().asFloat()), "the head alone left out");
            } else {
                assertFalse(Arrays.equals(whole, f.sequenceOutput().data().asFloat()), stage + " left out changes the output");
            }
            assertTrue(costs.millis(EnumSet.of(stage)) > 0, stage + ": a positive time");
        }
        assertTrue(costs.millis(EnumSet.allOf(StageCosts.Stage.class)) > 0, "the products alone: a positive time");
    }
}
