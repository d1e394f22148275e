package org.layerfuse.prune.strategy;

/**
 * Chooses the next encoder layer to remove. Implementations are stateless: everything a
 * choice depends on (signals, ΔA history, seed, step) is in the {@link PruningContext}, so a
 * resumed run chooses exactly as an uninterrupted one.
 */
public interface PruningStrategy {

    /** Command-line name, e.g. {@code weight-entropy}. */
    String name();

    /** The paper's name, e.g. {@code Weight-Entropy}. */
    String displayName();

    /** True if {@link #choose} needs this step's measured accuracy drops (fusion strategies). */
    default boolean needsDeltaAccuracy() {
        return false;
    }

    /** Picks a live layer of {@code context.signals()} to remove. */
    Choice choose(PruningContext context);
}
