package org.layerfuse.prune.strategy;

import java.util.stream.LongStream;
import smile.regression.RandomForest;

/**
 * Strategic fusion with a random forest regressor (Smile): ΔÂ_l = RF(z_l), an average of
 * regression trees grown on bootstrap samples of the ΔA rows, each split choosing among a
 * random third of the signals. Feature importance is the forest's total impurity (variance)
 * decrease per signal. Trees are seeded from (run seed, step), so choices repeat.
 */
public final class RandomForestFusion extends FusionStrategy {

    static final int TREES = 200;

    @Override
    public String name() {
        return "random-forest";
    }

    @Override
    public String displayName() {
        return "Random-Forest";
    }

    @Override
    protected Fitted fit(double[][] x, double[] y, long seed) {
        int p = x[0].length;
        int mtry = Math.max(1, p / 3);
        int maxNodes = Math.max(2, x.length);
        RandomForest forest = RandomForest.fit(SmileFrames.TARGET, SmileFrames.training(x, y), TREES, mtry, 20,
                maxNodes, 1, 1.0, LongStream.range(0, TREES).map(t -> seed * 1_000_003L + t));
        double[] importance = forest.importance().clone();
        return new Fitted() {
            @Override
            public double predict(double[] z) {
                return forest.predict(SmileFrames.features(new double[][] {z}).get(0));
            }

            @Override
            public double[] importance() {
                return importance;
            }
        };
    }
}
