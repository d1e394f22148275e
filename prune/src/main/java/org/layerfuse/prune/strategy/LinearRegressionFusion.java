package org.layerfuse.prune.strategy;

import smile.regression.LinearModel;
import smile.regression.RidgeRegression;

/**
 * Strategic fusion with linear regression (Smile): ΔÂ_l = w·z_l + b over the standardised
 * signals z_l, so w are the standardised coefficients reported as feature importance.
 *
 * <p>Fitted as ridge regression with λ = 1e−3, which equals ordinary least squares to
 * within 1e−3 relative when the rows outnumber the signals, and stays defined at the first
 * step, where an L-layer model gives L rows for 12 signals (6 for MiniLM).
 */
public final class LinearRegressionFusion extends FusionStrategy {

    static final double LAMBDA = 1e-3;

    @Override
    public String name() {
        return "linear-regression";
    }

    @Override
    public String displayName() {
        return "Linear-Regression";
    }

    @Override
    protected Fitted fit(double[][] x, double[] y, long seed) {
        LinearModel model = RidgeRegression.fit(SmileFrames.TARGET, SmileFrames.training(x, y), LAMBDA);
        double[] coefficients = model.coefficients().clone();
        return new Fitted() {
            @Override
            public double predict(double[] z) {
                return model.predict(SmileFrames.features(new double[][] {z}))[0];
            }

            @Override
            public double[] importance() {
                return coefficients;
            }
        };
    }
}
