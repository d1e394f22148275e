package org.layerfuse.prune.strategy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerfuse.prune.signals.Signal;

/**
 * Strategic fusion: learns ΔA (the accuracy drop of removing one layer) from the twelve
 * signals with a regressor fitted on every ΔA row measured so far, predicts ΔA for the live
 * layers, and removes l* = argmin ΔÂ_l (ties: lowest index).
 *
 * <p>Features are standardised (z-scores over the training rows) so that coefficients and
 * importances compare across signals; a signal that is constant over the rows carries no
 * information, gets importance 0 and is left out of the fit.
 */
public abstract class FusionStrategy implements PruningStrategy {

    private static final int P = Signal.values().length;

    /** A fitted regressor over the kept (non-constant) standardised features. */
    protected interface Fitted {
        double predict(double[] standardisedFeatures);

        /** Importance of each kept feature, in the order given to {@link #fit}. */
        double[] importance();
    }

    @Override
    public boolean needsDeltaAccuracy() {
        return true;
    }

    /** Fits the regressor on standardised features {@code x} (rows) and targets {@code y}. */
    protected abstract Fitted fit(double[][] x, double[] y, long seed);

    @Override
    public Choice choose(PruningContext context) {
        List<FusionRow> rows = context.history();
        if (rows.isEmpty()) {
            throw new IllegalStateException(displayName() + " needs measured ΔA rows, got none");
        }
        double[] mean = new double[P];
        double[] std = new double[P];
        for (FusionRow r : rows) {
            for (int j = 0; j < P; j++) {
                mean[j] += r.signals()[j] / rows.size();
            }
        }
        for (FusionRow r : rows) {
            for (int j = 0; j < P; j++) {
                double d = r.signals()[j] - mean[j];
                std[j] += d * d / rows.size();
            }
        }
        List<Integer> kept = new ArrayList<>();
        for (int j = 0; j < P; j++) {
            std[j] = Math.sqrt(std[j]);
            if (std[j] > 1e-12 * Math.max(1.0, Math.abs(mean[j]))) {
                kept.add(j);
            }
        }
        double[][] x = new double[rows.size()][];
        double[] y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = standardise(rows.get(i).signals(), mean, std, kept);
            y[i] = rows.get(i).deltaAccuracy();
        }
        double[] importance = new double[P];
        double[] scores = new double[context.signals().numLayers()];
        Arrays.fill(scores, Double.NaN);
        int best = -1;
        if (kept.isEmpty()) {
            // No signal varies: predict the mean drop everywhere; the tie goes to the lowest index.
            double m = Arrays.stream(y).average().orElse(0);
            for (int l : context.liveLayers()) {
                scores[l] = m;
                best = best < 0 ? l : best;
            }
            return new Choice(best, scores, importance);
        }
        Fitted model = fit(x, y, context.seed() * 31 + context.step());
        double[] imp = model.importance();
        for (int k = 0; k < kept.size(); k++) {
            importance[kept.get(k)] = imp[k];
        }
        for (int l : context.liveLayers()) {
            scores[l] = model.predict(standardise(context.signals().row(l), mean, std, kept));
            if (best < 0 || scores[l] < scores[best]) {
                best = l;
            }
        }
        return new Choice(best, scores, importance);
    }

    private static double[] standardise(double[] v, double[] mean, double[] std, List<Integer> kept) {
        double[] out = new double[kept.size()];
        for (int k = 0; k < kept.size(); k++) {
            int j = kept.get(k);
            out[k] = (v[j] - mean[j]) / std[j];
        }
        return out;
    }
}
