package org.layerfuse.prune.cli;

import org.layerfuse.bert.MicroBatches;
import org.layerfuse.engine.Backend;
import picocli.CommandLine.Option;

/** {@code --threads}, {@code --seed} and {@code --gradient-memory}. */
public final class RuntimeOptions {

    @Option(names = "--threads", defaultValue = "0",
            description = "Threads for ND4J's native ops, >= 0; 0 (the default) uses one per logical core.")
    int threads;

    @Option(names = "--seed", defaultValue = "42",
            description = "Seed of every random choice: splits, initialisation, shuffling, random strategies, forests "
                    + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--gradient-memory", paramLabel = "<bytes>",
            description = "Memory for the intermediates of one backward pass, e.g. 512m or 2g; a larger batch is split "
                    + "into micro-batches whose gradients are summed (same result, less memory; 0: never split). "
                    + "Default: 1g, or the system property " + MicroBatches.PROPERTY + ".")
    String gradientMemory;

    void validate() {
        OptionRange.atLeast("--threads", threads, 0, " (0: one per logical core)");
        if (gradientMemory != null) {
            try {
                MicroBatches.parseBytes(gradientMemory);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--gradient-memory must be a byte count such as 512m, 2g or 0 "
                        + "(never split); got '" + gradientMemory + "'");
            }
        }
    }

    Backend.Info start() {
        if (gradientMemory != null) {
            System.setProperty(MicroBatches.PROPERTY, gradientMemory.trim());
        }
        return Backend.init(new Backend.Settings(threads, seed, Backend.Settings.variantFromSystemProperty()));
    }
}
