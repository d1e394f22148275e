package org.layerfuse.prune.graft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.TinyTask;
import org.layerfuse.prune.loop.Healer;
import org.layerfuse.prune.loop.RunDirectory;
import org.layerfuse.prune.loop.RunSpec;
import org.layerfuse.prune.loop.SequentialPruner;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.strategy.PruningContext;
import org.layerfuse.prune.strategy.Strategies;
import org.nd4j.linalg.api.buffer.DataType;

class MacroInfluenceTest {

    private static final EncodedExamples CALIBRATION = TinyTask.examples(40, 21);

    @Test
    void aBlockThatIsAnIdentityHasZeroInfluence() {
        BertModel model = GraftFixtures.random(21, DataType.DOUBLE);
        GraftFixtures.makeIdentity(model, 2);
        double[] mi = MacroInfluenceStrategy.iterative().measure(model, CALIBRATION);
        double[] bi = BlockInfluenceStrategy.measure(model, CALIBRATION);
        assertEquals(0.0, mi[2], 1e-12, "macro influence of an identity block");
        assertEquals(0.0, bi[2], 1e-12, "block influence of an identity block");
        for (int l : new int[] {0, 1, 3}) {
            assertTrue(mi[l] > 1e-4, "layer " + l + " MI " + mi[l]);
            assertTrue(bi[l] > 1e-4, "layer " + l + " BI " + bi[l]);
        }
        // removed layers have no score
        model.removeLayer(0);
        assertTrue(Double.isNaN(MacroInfluenceStrategy.iterative().measure(model, CALIBRATION)[0]));
        assertTrue(model.isLive(2) && !model.isLive(0), "measuring leaves the live set as it was");
    }

    @Test
    void macroInfluenceIsOneMinusTheTokenCosineOfTheFinalHiddenStates() {
        BertModel model = GraftFixtures.random(22, DataType.DOUBLE);
        double[] mi = MacroInfluenceStrategy.iterative().withSamples(40).measure(model, CALIBRATION);
        var full = model.forward(CALIBRATION.tokens()).sequenceOutput();
        model.removeLayer(3);
        var without = model.forward(CALIBRATION.tokens()).sequenceOutput();
        assertEquals(1 - TokenCosine.mean(full, without, CALIBRATION.tokens().attentionMask()), mi[3], 1e-12);
    }

    /**
     * Layer 0 is an identity, so both variants remove it first. The healer of step 1 then turns
     * the block with the highest step-1 influence into an identity: the iterative variant sees
     * the new ranking and removes it next, the one-shot variant keeps the step-1 order.
     */
    @Test
    void oneShotAndIterativeDifferWhenARemovalChangesTheRanking(@TempDir Path dir) {
        BertModel base = GraftFixtures.random(23, DataType.FLOAT);
        GraftFixtures.makeIdentity(base, 0);
        double[] step1 = MacroInfluenceStrategy.oneShot().measure(base, CALIBRATION);
        int highest = 1;
        for (int l = 2; l < 4; l++) {
            highest = step1[l] > step1[highest] ? l : highest;
        }
        int finalHighest = highest;
        Healer reshapes = new Healer() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public String heal(BertModel model, int removedLayer, int step) {
                if (step == 1) {
                    GraftFixtures.makeIdentity(model, finalHighest);
                }
                return "made " + finalHighest + " an identity";
            }
        };
        int[] iterative = removalOrder("macro-influence", base, reshapes, dir.resolve("iterative"));
        int[] oneShot = removalOrder("macro-influence-oneshot", base, reshapes, dir.resolve("oneshot"));
        assertEquals(0, iterative[0]);
        assertEquals(0, oneShot[0]);
        assertEquals(highest, iterative[1], "iterative re-measures and finds the new identity");
        assertNotEquals(highest, oneShot[1], "one-shot keeps the step-1 ranking");
        assertArrayEquals(oneShot, removalOrder("macro-influence-oneshot", base, reshapes, dir.resolve("again")));
    }

    @Test
    void strategiesRefuseAContextWithoutAModel() {
        var signals = TinyTask.weightSignals().compute(GraftFixtures.random(24, DataType.FLOAT));
        var context = new PruningContext(1, signals, List.of(), 7);
        for (String name : List.of("macro-influence", "macro-influence-oneshot", "block-influence")) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> Strategies.byName(name).choose(context));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    private static int[] removalOrder(String strategy, BertModel base, Healer healer, Path dir) {
        RunDirectory run = new RunDirectory(dir);
        run.open(new RunSpec("tiny", "synthetic", strategy, "none", 7, 2, 40, 40, 40, 40, 40, 8, "none"), false);
        List<StepRecord> records = new SequentialPruner(Strategies.byName(strategy), TinyTask.weightSignals(), healer,
                new SequentialPruner.Data(CALIBRATION, TinyTask.examples(24, 22), TinyTask.examples(24, 23)), 7, 64)
                .run(base.copy(), 2, run);
        return SequentialPruner.removalOrder(records);
    }
}
