package org.layerfuse.prune.graft;

import java.util.Locale;

/**
 * Settings of learnable grafting. FuseGPT's defaults: window G = 7, rank r = 128, A = 0 and
 * B ~ U(−√(1/r), √(1/r)), Adam at 1e−3 for the coefficients and 9.65e−6 for the window's
 * weights, 1024 calibration samples; on a CPU the calibration set is the healing subset
 * (128 examples by default) and two epochs, the same data and passes as CE and KD healing.
 *
 * @param windowSize   G, live neighbours that absorb the removed block (capped by the live depth)
 * @param rank         r of the coefficient factors (capped by each matrix's dimensions)
 * @param temperature  τ of the KL loss
 * @param loss         KL or MSE
 * @param calibration  calibration examples: 0 for the healing subset, else the first n training examples
 * @param epochs       passes over the calibration examples
 * @param batchSize    examples per Adam step
 * @param lr           Adam learning rate of A and B
 * @param trainWeights whether the window's own parameters are trained too
 * @param weightLr     Adam learning rate of the window's parameters when trained
 * @param seed         seeds B's initialisation and the example order (with the step)
 */
public record GraftOptions(int windowSize, int rank, double temperature, GraftLoss loss, int calibration, int epochs,
                           int batchSize, double lr, boolean trainWeights, double weightLr, long seed) {

    public static final int DEFAULT_WINDOW = 7;
    public static final int DEFAULT_RANK = 128;
    public static final double DEFAULT_LR = 1e-3;
    public static final double DEFAULT_WEIGHT_LR = 9.65e-6;

    public GraftOptions {
        if (windowSize < 1) {
            throw new IllegalArgumentException("--graft-window must be >= 1, got " + windowSize);
        }
        if (rank < 1) {
            throw new IllegalArgumentException("--graft-rank must be >= 1, got " + rank);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("--graft-temperature must be > 0, got " + temperature);
        }
        if (loss == null) {
            throw new IllegalArgumentException("--graft-loss must be kl or mse");
        }
        if (calibration < 0) {
            throw new IllegalArgumentException("--graft-calibration must be >= 0 (0: the healing subset), got "
                    + calibration);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("--graft-epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--graft-batch-size must be >= 1, got " + batchSize);
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("--graft-lr must be > 0, got " + lr);
        }
        if (!(weightLr > 0)) {
            throw new IllegalArgumentException("--graft-weight-lr must be > 0, got " + weightLr);
        }
    }

    public static GraftOptions defaults() {
        return new GraftOptions(DEFAULT_WINDOW, DEFAULT_RANK, 1.0, GraftLoss.KL, 0, 2, 16, DEFAULT_LR, false,
                DEFAULT_WEIGHT_LR, 42);
    }

    public GraftOptions withWindowSize(int g) {
        return new GraftOptions(g, rank, temperature, loss, calibration, epochs, batchSize, lr, trainWeights, weightLr,
                seed);
    }

    public GraftOptions withRank(int r) {
        return new GraftOptions(windowSize, r, temperature, loss, calibration, epochs, batchSize, lr, trainWeights,
                weightLr, seed);
    }

    public GraftOptions withEpochs(int e) {
        return new GraftOptions(windowSize, rank, temperature, loss, calibration, e, batchSize, lr, trainWeights,
                weightLr, seed);
    }

    public GraftOptions withLoss(GraftLoss l) {
        return new GraftOptions(windowSize, rank, temperature, l, calibration, epochs, batchSize, lr, trainWeights,
                weightLr, seed);
    }

    public GraftOptions withLr(double rate) {
        return new GraftOptions(windowSize, rank, temperature, loss, calibration, epochs, batchSize, rate, trainWeights,
                weightLr, seed);
    }

    public GraftOptions withBatchSize(int b) {
        return new GraftOptions(windowSize, rank, temperature, loss, calibration, epochs, b, lr, trainWeights, weightLr,
                seed);
    }

    public GraftOptions withTrainWeights(boolean train) {
        return new GraftOptions(windowSize, rank, temperature, loss, calibration, epochs, batchSize, lr, train, weightLr,
                seed);
    }

    /** A string that changes whenever a setting that affects the result changes (resume compatibility). */
    public String fingerprint() {
        return String.format(Locale.ROOT, "graft:G=%d,r=%d,tau=%s,loss=%s,calibration=%d,epochs=%d,batch=%d,lr=%s,"
                + "weights=%s,seed=%d", windowSize, rank, temperature, loss, calibration, epochs, batchSize, lr,
                trainWeights ? Double.toString(weightLr) : "frozen", seed);
    }
}
