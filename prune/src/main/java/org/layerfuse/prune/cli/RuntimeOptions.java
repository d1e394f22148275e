package org.layerfuse.prune.cli;

import org.layerfuse.engine.Backend;
import picocli.CommandLine.Option;

/** {@code --threads} and {@code --seed}. */
public final class RuntimeOptions {

    @Option(names = "--threads", defaultValue = "0",
            description = "Threads for ND4J's native ops, >= 0; 0 (the default) uses one per logical core.")
    int threads;

    @Option(names = "--seed", defaultValue = "42",
            description = "Seed of every random choice: splits, initialisation, shuffling, random strategies, forests "
                    + "(default: ${DEFAULT-VALUE}).")
    long seed;

    void validate() {
        OptionRange.atLeast("--threads", threads, 0, " (0: one per logical core)");
    }

    Backend.Info start() {
        return Backend.init(new Backend.Settings(threads, seed, System.getProperty("layerfuse.nd4j.variant", "auto")));
    }
}
