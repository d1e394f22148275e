package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.graph.GradientCalls;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Gradient calls that reuse the previous call's intermediate arrays ({@code graph.ArrayPool}),
 * and recycled gradients, give the same bits as a model's first call, whose arrays are all new.
 */
class PooledGradientsTest {

    private static final List<String> LABELS = List.of("a", "b");
    private static final BertWeights WEIGHTS =
            TestModels.randomWeights(TestModels.tinyConfig(Activation.GELU_ERF, 2, LABELS), 41, true);

    private static final List<String> SOME = List.of(ParamNames.WORD_EMBEDDINGS, ParamNames.ffnLnGamma(1));

    private static BertModel model() {
        return BertModel.fromWeights(WEIGHTS, DataType.FLOAT);
    }

    /** Two batches of different shapes (3 × 7 and 2 × 5 tokens). */
    private static TokenBatch batch(boolean small) {
        TokenBatch b = TestModels.batch(40, 31);
        if (!small) {
            return b;
        }
        int[][] ids = {java.util.Arrays.copyOf(b.inputIds()[0], 5), java.util.Arrays.copyOf(b.inputIds()[1], 5)};
        int[][] types = {java.util.Arrays.copyOf(b.tokenTypeIds()[0], 5), java.util.Arrays.copyOf(b.tokenTypeIds()[1], 5)};
        int[][] mask = {java.util.Arrays.copyOf(b.attentionMask()[0], 5), java.util.Arrays.copyOf(b.attentionMask()[1], 5)};
        return new TokenBatch(ids, types, mask);
    }

    private static int[] labels(boolean small) {
        return small ? new int[] {1, 0} : new int[] {0, 1, 1};
    }

    private static void assertSameBits(Gradients expected, Gradients actual, String what) {
        assertEquals(expected.loss(), actual.loss(), 0.0, what + ": loss");
        assertArrayEquals(expected.logits().data().asFloat(), actual.logits().data().asFloat(), what + ": logits");
        assertEquals(expected.byParameter().keySet(), actual.byParameter().keySet(), what);
        for (Map.Entry<String, INDArray> e : expected.byParameter().entrySet()) {
            assertArrayEquals(e.getValue().data().asFloat(), actual.byParameter().get(e.getKey()).data().asFloat(),
                    what + ": " + e.getKey());
        }
    }

    @Test
    void reusedArraysGiveTheBitsOfAFirstCall() {
        BertModel pooled = model();
        boolean[] sequence = {false, false, true, false, true, true};
        for (int i = 0; i < sequence.length; i++) {
            boolean small = sequence[i];
            Gradients got = pooled.gradients(batch(small), labels(small));
            Gradients fresh = model().gradients(batch(small), labels(small));
            assertSameBits(fresh, got, "call " + i + (small ? " (2 × 5)" : " (3 × 7)"));
            assertTrue(pooled.pooledGradientBytes() > 0, "arrays kept after call " + i);
            if (i % 2 == 0) {
                long kept = pooled.pooledGradientBytes();
                pooled.recycle(got); // the next call's results go into these arrays
                assertTrue(pooled.pooledGradientBytes() > kept, "recycled gradients wait for the next call");
            } else {
                got.free();
            }
            fresh.free();
        }
    }

    /**
     * Calls of a model's graph run a fixed plan ({@code graph.GraphPlan}) instead of SameDiff's
     * session: the same bits as the session's calls, for the plain loss, the distillation loss
     * and a subset of parameters, across changes of batch shape and with results recycled.
     */
    @Test
    void plannedCallsGiveTheBitsOfSameDiffsSession() {
        BertModel planned = model();
        BertModel session = model();
        INDArray teacher = Nd4j.createFromArray(new float[][] {{0.3f, -0.2f}, {1.1f, 0.4f}, {-0.7f, 0.9f}});
        INDArray smallTeacher = teacher.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()).dup();
        boolean[] sequence = {false, false, true, false, true};
        try {
            for (int i = 0; i < sequence.length; i++) {
                boolean small = sequence[i];
                String what = "call " + i + (small ? " (2 × 5)" : " (3 × 7)");
                GradientCalls.usePlans(false);
                Gradients expected = session.gradients(batch(small), labels(small));
                Gradients expectedKd = session.gradients(batch(small), labels(small), small ? smallTeacher : teacher,
                        0.5, 2.0);
                Gradients expectedSome = session.gradients(batch(small), labels(small), SOME);
                GradientCalls.usePlans(true);
                Gradients got = planned.gradients(batch(small), labels(small));
                assertSameBits(expected, got, what);
                Gradients gotKd = planned.gradients(batch(small), labels(small), small ? smallTeacher : teacher, 0.5, 2.0);
                assertSameBits(expectedKd, gotKd, what + ", distillation");
                Gradients gotSome = planned.gradients(batch(small), labels(small), SOME);
                assertSameBits(expectedSome, gotSome, what + ", two parameters");
                for (Gradients g : List.of(got, gotKd, gotSome)) {
                    planned.recycle(g);
                }
                for (Gradients g : List.of(expected, expectedKd, expectedSome)) {
                    session.recycle(g);
                }
            }
        } finally {
            GradientCalls.usePlans(true);
        }
    }

    @Test
    void gradientsRecycledTwiceAreKeptOnce() {
        BertModel model = model();
        Gradients g = model.gradients(batch(false), labels(false));
        model.recycle(g);
        long once = model.pooledGradientBytes();
        model.recycle(g);
        assertEquals(once, model.pooledGradientBytes(), "an array given twice is kept once, never handed out twice");
        assertSameBits(model().gradients(batch(false), labels(false)), model.gradients(batch(false), labels(false)),
                "the call after");
    }

    @Test
    void keepsOneCallsWorthAndFreesItWhenTheGraphChanges() {
        BertModel model = model();
        model.gradients(batch(false), labels(false)).free();
        long afterLarge = model.pooledGradientBytes();
        model.gradients(batch(true), labels(true)).free();
        long afterSmall = model.pooledGradientBytes();
        model.gradients(batch(false), labels(false)).free();
        assertTrue(afterSmall < afterLarge, "the small batch's call keeps less: " + afterSmall + " vs " + afterLarge);
        // Not the two calls' sum: what the small call left and this one did not take is freed
        // (a scalar or two may differ with the order of releases).
        assertEquals(afterLarge, model.pooledGradientBytes(), 0.01 * afterLarge,
                "arrays of the other shape that a call did not use are freed when it ends");

        model.releaseGradientMemory();
        assertEquals(0, model.pooledGradientBytes(), "released on request");
        model.gradients(batch(false), labels(false)).free();
        assertEquals(afterLarge, model.pooledGradientBytes(), 0.01 * afterLarge, "and kept again by the next call");

        model.removeLayer(1);
        assertEquals(0, model.pooledGradientBytes(), "a new graph starts without the old graph's arrays");
        Gradients pruned = model.gradients(batch(false), labels(false));
        BertModel reference = model();
        reference.removeLayer(1);
        assertSameBits(reference.gradients(batch(false), labels(false)), pruned, "after removing a layer");
    }
}
