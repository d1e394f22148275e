package org.layerfuse.prune.cli;

import org.layerfuse.bert.train.AdamW;
import org.layerfuse.bert.train.KdTargets;
import org.layerfuse.bert.train.TrainerOptions;
import picocli.CommandLine.Option;

/** Fine-tuning of the baseline and healing of pruned models. */
public final class TrainingOptions {

    @Option(names = "--epochs", defaultValue = "3",
            description = "Epochs of fine-tuning of the unpruned baseline (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--heal-epochs", defaultValue = "2",
            description = "Epochs of healing (fine-tuning or distillation) after each removal (default: ${DEFAULT-VALUE}).")
    int healEpochs;

    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak AdamW learning rate (default: ${DEFAULT-VALUE}, for the small "
            + "training subsets of the study; 2e-5 to 5e-5 is usual for BERT-base on larger data).")
    double learningRate;

    @Option(names = "--batch-size", defaultValue = "32", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--weight-decay", defaultValue = "0.01",
            description = "Decoupled weight decay, not applied to biases and layer norms (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--kd-alpha", defaultValue = "" + KdTargets.DEFAULT_ALPHA,
            description = "Distillation weight α of cross-entropy in α·CE + (1−α)·T²·KL (default: ${DEFAULT-VALUE}).")
    double kdAlpha;

    @Option(names = "--kd-temperature", defaultValue = "" + KdTargets.DEFAULT_TEMPERATURE,
            description = "Distillation temperature T (default: ${DEFAULT-VALUE}).")
    double kdTemperature;

    /** Checks every value's range before any work starts. */
    void validate() {
        OptionRange.atLeast("--epochs", epochs, 1);
        OptionRange.atLeast("--heal-epochs", healEpochs, 1, " (for no healing use --heal none)");
        OptionRange.positive("--lr", learningRate);
        OptionRange.atLeast("--batch-size", batchSize, 1);
        OptionRange.nonNegative("--weight-decay", weightDecay, " (0: no decay)");
        OptionRange.probability("--kd-alpha", kdAlpha);
        OptionRange.positive("--kd-temperature", kdTemperature);
    }

    TrainerOptions baseline(long seed) {
        return options(epochs, seed);
    }

    TrainerOptions healing(long seed) {
        return options(healEpochs, seed);
    }

    private TrainerOptions options(int e, long seed) {
        AdamW.Hyper h = AdamW.Hyper.defaults();
        return new TrainerOptions(learningRate, batchSize, e, 0, 0.1,
                new AdamW.Hyper(h.beta1(), h.beta2(), h.epsilon(), weightDecay, h.maxGradNorm()), seed, 0, 1);
    }
}
