package org.layerfuse.prune.cli;

import org.layerfuse.prune.graft.GraftLoss;
import org.layerfuse.prune.graft.GraftOptions;
import picocli.CommandLine.Option;

/** Settings of {@code --heal graft} and {@code --heal graft-static} (FuseGPT's grafting). */
public final class GraftCliOptions {

    @Option(names = "--graft-window", defaultValue = "" + GraftOptions.DEFAULT_WINDOW,
            description = "G: live blocks nearest to a removed block that absorb it, capped by the live depth "
                    + "(default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--graft-rank", defaultValue = "" + GraftOptions.DEFAULT_RANK,
            description = "r: rank of the coefficient factors A·Bᵀ, capped by each matrix's dimensions "
                    + "(default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--graft-loss", defaultValue = "kl", paramLabel = "kl|mse",
            description = "Local distillation loss between the original and the fused window's outputs: kl "
                    + "(KL of softmax(h/τ), FuseGPT) or mse (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--graft-temperature", defaultValue = "1.0",
            description = "τ of the KL loss (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--graft-calibration", defaultValue = "0",
            description = "Calibration examples: 0 uses the healing subset (--heal-size), the data CE and KD healing "
                    + "see; n > 0 the first n training examples (FuseGPT: 1024) (default: ${DEFAULT-VALUE}).")
    int calibration;

    @Option(names = "--graft-epochs", defaultValue = "2",
            description = "Passes over the calibration examples (default: ${DEFAULT-VALUE}, as --heal-epochs).")
    int epochs;

    @Option(names = "--graft-batch-size", defaultValue = "16",
            description = "Calibration examples per Adam step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--graft-lr", defaultValue = "" + GraftOptions.DEFAULT_LR,
            description = "Adam learning rate of A and B (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--graft-train-weights",
            description = "Also train the window's own parameters, at --graft-weight-lr.")
    boolean trainWeights;

    @Option(names = "--graft-weight-lr", defaultValue = "" + GraftOptions.DEFAULT_WEIGHT_LR,
            description = "Adam learning rate of the window's parameters with --graft-train-weights "
                    + "(default: ${DEFAULT-VALUE}).")
    double weightLr;

    /**
     * Checks every value before any work starts: {@link GraftOptions} holds the ranges; the
     * calibration subset is the first n training examples, so n cannot exceed {@code --train-size}.
     */
    void validate(int trainSize) {
        OptionRange.positive("--graft-temperature", temperature);
        OptionRange.positive("--graft-lr", lr);
        OptionRange.positive("--graft-weight-lr", weightLr);
        options(0);
        OptionRange.within("--graft-calibration", calibration, 0, trainSize, "--train-size = " + trainSize
                + "; 0 uses the --heal-size subset");
    }

    GraftOptions options(long seed) {
        GraftLoss l = switch (loss.toLowerCase(java.util.Locale.ROOT)) {
            case "kl" -> GraftLoss.KL;
            case "mse" -> GraftLoss.MSE;
            default -> throw new IllegalArgumentException("--graft-loss must be kl or mse, got '" + loss + "'");
        };
        return new GraftOptions(window, rank, temperature, l, calibration, epochs, batchSize, lr, trainWeights,
                weightLr, seed);
    }
}
