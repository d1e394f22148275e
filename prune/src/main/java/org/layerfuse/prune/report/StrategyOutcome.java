package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.layerfuse.prune.loop.StepRecord;

/**
 * What one strategy achieved on one dataset under one healing mode, per repeat (one repeat for
 * deterministic strategies) and summarised over repeats by the mean:
 * <ul>
 *   <li>max accuracy: the best test accuracy over the pruned steps k ≥ 1 (step 0 is the
 *       unpruned model, the baseline row); the best step is the latest step reaching it, so a
 *       tie goes to the smaller model;</li>
 *   <li>the accuracy-to-size ratio of that best model, accuracy / GB (float32,
 *       parameters × 4 / 10⁹), and the maximum of the ratio over the pruned steps.</li>
 * </ul>
 * Runs that recorded no pruned step are left out.
 */
record StrategyOutcome(String dataset, String heal, String strategy, List<Run> runs, double[] repeatMax,
                       int[] repeatBestStep, double[] repeatBestSizeGb, double[] repeatMaxRatio) {

    static Optional<StrategyOutcome> of(String dataset, String heal, String strategy, List<Run> all) {
        List<Run> runs = all.stream().filter(r -> r.steps().size() > 1).toList();
        if (runs.isEmpty()) {
            return Optional.empty();
        }
        int n = runs.size();
        double[] max = new double[n];
        int[] step = new int[n];
        double[] size = new double[n];
        double[] maxRatio = new double[n];
        for (int i = 0; i < n; i++) {
            StepRecord best = null;
            double bestRatio = Double.NEGATIVE_INFINITY;
            for (StepRecord s : runs.get(i).pruned()) {
                if (best == null || s.accuracy() >= best.accuracy()) {
                    best = s;
                }
                bestRatio = Math.max(bestRatio, s.accuracy() / ReportMath.sizeGb(s.parameters()));
            }
            max[i] = best.accuracy();
            step[i] = best.step();
            size[i] = ReportMath.sizeGb(best.parameters());
            maxRatio[i] = bestRatio;
        }
        return Optional.of(new StrategyOutcome(dataset, heal, strategy, runs, max, step, size, maxRatio));
    }

    /** Mean over repeats of each repeat's max accuracy. */
    double maxAccuracy() {
        return ReportMath.mean(repeatMax);
    }

    /** Accuracy / GB of each repeat's best model. */
    double[] repeatBestRatio() {
        double[] r = new double[repeatMax.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = repeatMax[i] / repeatBestSizeGb[i];
        }
        return r;
    }

    /** Mean over repeats of the best model's accuracy / GB. */
    double bestRatio() {
        return ReportMath.mean(repeatBestRatio());
    }

    /** Mean over repeats of 100 × (best model's ratio / baseline ratio − 1). */
    double bestRatioGainPercent(BaselineReference baseline) {
        double[] r = repeatBestRatio();
        double[] gain = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            gain[i] = 100 * (r[i] / baseline.ratio() - 1);
        }
        return ReportMath.mean(gain);
    }

    /** Mean over repeats of each repeat's max accuracy / GB over the pruned steps. */
    double maxRatio() {
        return ReportMath.mean(repeatMaxRatio);
    }

    /** Test accuracy by number of layers removed (step 0 included). */
    StepSeries accuracy() {
        return series(StepRecord::accuracy);
    }

    /** Accuracy / GB by number of layers removed (step 0 included). */
    StepSeries ratio() {
        return series(s -> s.accuracy() / ReportMath.sizeGb(s.parameters()));
    }

    private StepSeries series(ToDoubleFunction<StepRecord> value) {
        int steps = runs.stream().mapToInt(r -> r.steps().size()).max().orElse(0);
        double[] mean = new double[steps];
        double[] min = new double[steps];
        double[] max = new double[steps];
        double[] std = new double[steps];
        int[] count = new int[steps];
        for (int k = 0; k < steps; k++) {
            List<Double> v = new ArrayList<>();
            for (Run r : runs) {
                if (r.steps().size() > k) {
                    v.add(value.applyAsDouble(r.steps().get(k)));
                }
            }
            double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
            mean[k] = ReportMath.mean(a);
            min[k] = ReportMath.min(a);
            max[k] = ReportMath.max(a);
            std[k] = ReportMath.std(a);
            count[k] = a.length;
        }
        return new StepSeries(mean, min, max, std, count);
    }
}
