package org.layerfuse.prune.cli;

import org.layerfuse.engine.Backend;
import picocli.CommandLine.Option;

/** {@code --threads} and {@code --seed}. */
public final class RuntimeOptions {

    @Option(names = "--threads", defaultValue = "0",
            description = "Threads for ND4J's native ops (default: one per core).")
    int threads;

    @Option(names = "--seed", defaultValue = "42",
            description = "Seed of every random choice: splits, initialisation, shuffling, random strategies, forests "
                    + "(default: ${DEFAULT-VALUE}).")
    long seed;

    Backend.Info start() {
        return Backend.init(new Backend.Settings(threads, seed, System.getProperty("layerfuse.nd4j.variant", "auto")));
    }
}
