package org.layerfuse.bench.model;

import java.util.Arrays;
import java.util.Locale;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.train.AdamW;
import org.layerfuse.weights.PretrainedModels;

/**
 * The training step's time over the fused forward's, both measured in one JVM and interleaved
 * round by round (3 forwards, one step as {@link TrainStepBench} runs it, 3 forwards), so that a
 * machine whose speed drifts by ± 15 % over tens of seconds slows both alike: JMH measures them
 * minutes apart. Prints the medians, their ratio and the quartiles of the per-round ratios.
 * {@code padded} (the default) times both on the padded batch (the forward ONNX Runtime's is
 * compared with, training packing turned off); {@code packed} times both with padding left out
 * ({@code BertModel.forwardPacked} and packed gradient calls, what evaluation and training run).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.TrainStepRatio minilm 30 30
 *     [padded|packed] [tokens: 32]
 * </pre>
 */
public final class TrainStepRatio {

    private static final int FORWARDS = 3;

    private TrainStepRatio() {
    }

    public static void main(String[] args) {
        BenchModels.StepArgs a = BenchModels.StepArgs.parse("TrainStepRatio", "rounds", args, 30, 30, 4);
        String name = a.model();
        int warm = a.warm();
        int rounds = a.timed();
        int seq = a.seq();
        boolean packed = a.packed();
        BertModel.packTraining(packed);
        PretrainedModels.Pretrained p = BenchModels.load(name);
        BertModel model = BenchModels.classifier(p);
        TokenBatch batch = BenchModels.sentences(p, BenchModels.BATCH, seq);
        int[] labels = BenchModels.alternatingLabels(BenchModels.BATCH);
        AdamW adam = new AdamW(AdamW.Hyper.defaults(), n -> !ParamNames.isBiasOrNorm(n));
        double[] forward = new double[rounds];
        double[] step = new double[rounds];
        double[] ratio = new double[rounds];
        for (int r = -warm; r < rounds; r++) {
            double f = forwards(model, batch, packed);
            long t0 = System.nanoTime();
            Gradients g = model.gradients(batch, labels);
            adam.step(model.parameters(), g, 1e-5);
            model.recycle(g);
            double s = (System.nanoTime() - t0) / 1e6;
            f = (f + forwards(model, batch, packed)) / 2;
            if (r >= 0) {
                forward[r] = f;
                step[r] = s;
                ratio[r] = s / f;
            }
        }
        Arrays.sort(forward);
        Arrays.sort(step);
        Arrays.sort(ratio);
        System.out.printf(Locale.ROOT, "%s, batch %d × %d, %s, %d rounds: fused forward median %.1f ms (best %.1f), "
                        + "training step median %.1f ms (best %.1f): %.2f× (per-round ratios: median %.2f, "
                        + "quartiles %.2f–%.2f)%n", name, BenchModels.BATCH, seq, packed ? "packed" : "padded", rounds,
                forward[rounds / 2], forward[0], step[rounds / 2], step[0], step[rounds / 2] / forward[rounds / 2],
                ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4]);
    }

    /** Mean time of {@value #FORWARDS} fused forwards (padding left out if {@code packed}), in ms. */
    private static double forwards(BertModel model, TokenBatch batch, boolean packed) {
        long t0 = System.nanoTime();
        for (int k = 0; k < FORWARDS; k++) {
            if (packed) {
                model.forwardPacked(batch);
            } else {
                model.forward(batch);
            }
        }
        return (System.nanoTime() - t0) / 1e6 / FORWARDS;
    }
}
