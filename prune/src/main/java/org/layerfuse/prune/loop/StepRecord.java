package org.layerfuse.prune.loop;

import java.util.List;
import org.layerfuse.prune.strategy.FusionRow;

/**
 * What one pruning step did and measured; step 0 is the unpruned (fine-tuned) baseline.
 *
 * @param removedLayer       original index of the layer removed at this step (null at step 0)
 * @param liveLayers         live layers after this step
 * @param accuracy           test accuracy after healing
 * @param macroF1            test macro-F1 after healing
 * @param testLoss           test cross-entropy after healing
 * @param accuracyBeforeHeal test accuracy right after removal, before healing
 * @param parameters         parameters of the live model
 * @param sizeMb             float32 size of the live model, parameters × 4 / 10⁶
 * @param signalsCsv         the signal table the choice was made from (null at step 0)
 * @param scores             per-layer score of the strategy (NaN where none; null at step 0)
 * @param featureImportance  fusion strategies' importance of the 12 signals (else null)
 * @param deltaRows          ΔA rows measured at this step (fusion strategies)
 * @param validationAccuracy validation accuracy before this step's removal (NaN if not measured)
 * @param heal               the healer's summary
 */
public record StepRecord(int step, Integer removedLayer, int[] liveLayers, double accuracy, double macroF1,
                         double testLoss, double accuracyBeforeHeal, long parameters, double sizeMb,
                         String signalsCsv, double[] scores, double[] featureImportance, List<FusionRow> deltaRows,
                         double validationAccuracy, String heal, double signalSeconds, double choiceSeconds,
                         double healSeconds, double wallSeconds) {
}
