package org.layerfuse.prune.loop;

/**
 * The settings that define a pruning run; a results directory belongs to exactly one spec,
 * so {@code --resume} refuses a directory written with other settings.
 */
public record RunSpec(String model, String dataset, String strategy, String heal, long seed, int layersToRemove,
                      int trainSize, int healSize, int validationSize, int testSize, int signalSize, int maxLength,
                      String trainer) {
}
