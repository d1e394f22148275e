package org.layerfuse.prune.strategy;

/**
 * Strategic fusion with linear regression: ΔÂ_l = w·z_l + b over the standardised
 * signals z_l, so w are the standardised coefficients reported as feature importance.
 *
 * <p>Fitted as ridge regression with λ = 1e−3, which equals ordinary least squares to
 * within 1e−3 relative when the rows outnumber the signals, and stays defined at the first
 * step, where an L-layer model gives L rows for 12 signals (6 for MiniLM). The fit is Smile's
 * {@code RidgeRegression}'s, solved in pure Java ({@link RidgeFit}): Smile's solve went through
 * an OpenBLAS whose AVX-512 Cholesky is wrong.
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
        RidgeFit model = RidgeFit.fit(x, y, LAMBDA); // Smile's fit, solved without OpenBLAS's LAPACK (see RidgeFit)
        double[] coefficients = model.coefficients();
        return new Fitted() {
            @Override
            public double predict(double[] z) {
                return model.predict(z);
            }

            @Override
            public double[] importance() {
                return coefficients;
            }
        };
    }
}
