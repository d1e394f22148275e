package org.layerfuse.prune.strategy;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Removes a live layer drawn uniformly at random: the paper's baseline ({@code random},
 * which is its Random12 randomization test: any layer) and {@code random10}, which never
 * removes the first or last encoder layer (the paper's Random10 test: 10 of BERT-base's 12
 * layers). The draw of step t is seeded by (seed, t), so runs and resumed runs repeat.
 */
public final class RandomStrategy implements PruningStrategy {

    private final boolean excludeEdges;

    private RandomStrategy(boolean excludeEdges) {
        this.excludeEdges = excludeEdges;
    }

    /** Uniform over all live layers (Random12). */
    public static RandomStrategy anyLayer() {
        return new RandomStrategy(false);
    }

    /** Uniform over live layers other than the first and last (Random10). */
    public static RandomStrategy excludingEdges() {
        return new RandomStrategy(true);
    }

    @Override
    public String name() {
        return excludeEdges ? "random10" : "random";
    }

    @Override
    public String displayName() {
        return excludeEdges ? "Random10" : "Random";
    }

    public boolean excludesEdges() {
        return excludeEdges;
    }

    @Override
    public Choice choose(PruningContext context) {
        int last = context.signals().numLayers() - 1;
        int[] candidates = Arrays.stream(context.liveLayers())
                .filter(l -> !excludeEdges || (l != 0 && l != last)).toArray();
        if (candidates.length == 0) {
            throw new IllegalStateException(displayName() + " has no layer left to remove: only the edge layers 0 and "
                    + last + " are live, and it never removes them (prune at most " + (last - 1) + " layers)");
        }
        SplittableRandom random = new SplittableRandom(context.seed() * 0x9E3779B97F4A7C15L + context.step());
        double[] scores = new double[context.signals().numLayers()];
        Arrays.fill(scores, Double.NaN);
        return new Choice(candidates[random.nextInt(candidates.length)], scores, null);
    }
}
