package org.layerfuse.prune.strategy;

import java.util.concurrent.ForkJoinPool;
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
    /**
     * The one thread every forest is grown on. Smile 2.6 grows the trees on a parallel stream
     * (the common pool when called from outside a pool), each tree calling {@code MathEx.setSeed},
     * which on a JVM's first seeding races with the other threads' first use of Smile's shared,
     * unsynchronized seed generator (a Mersenne twister): now and then a cell failed with "Index
     * 624 out of bounds for length 624" (its state array), seen once in a clean-clone CI run
     * (haifengl/smile#658 reports the same symptom). Each tree seeds its own thread-local generator
     * from (run seed, step, tree), so the trees, and the forest, are the same on one thread.
     */
    private static final ForkJoinPool FIT_THREAD = new ForkJoinPool(1);

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
        RandomForest forest = FIT_THREAD.submit(() -> RandomForest.fit(SmileFrames.TARGET, SmileFrames.training(x, y),
                TREES, mtry, 20, maxNodes, 1, 1.0, LongStream.range(0, TREES).map(t -> seed * 1_000_003L + t))).join();
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
