package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Section 4 (Fig. 3): change of the maximum accuracy against the baseline, in percent,
 * 100 × (max − baseline) / baseline, per strategy and dataset, with Wilcoxon tests against
 * zero and against the random strategy, over datasets (the paper's test) and over
 * (dataset, pruning step) pairs.
 */
final class AccuracyChangeSection {

    private AccuracyChangeSection() {
    }

    static double percent(double value, double baseline) {
        return 100 * (value - baseline) / baseline;
    }

    static void add(ReportInputs in, ReportContent out, Map<String, StrategyStyle.Look> looks) {
        ReportSection s = out.section("accuracy-change", "Change of maximum accuracy versus the baseline (Fig. 3)");
        s.paragraph("Percent change of the maximum accuracy (Table 1) against the unpruned baseline: 100 × (max − "
                + "baseline) / baseline. Tests per strategy: (1) the per-dataset changes against 0 (pairs: datasets); "
                + "(2) against the random strategy's change on the same dataset (pairs: datasets with both); (3) the "
                + "accuracy after every pruning step k ≥ 1 against the baseline of its dataset (pairs: dataset × "
                + "step); (4) that accuracy against the random strategy's mean accuracy at the same dataset, healing "
                + "mode and step (pairs: dataset × step reached by both). Repeated strategies enter with the mean "
                + "over repeats. In the figure, * marks p < 0.05 against 0 (test 1) and † p < 0.05 against random "
                + "(test 2); the direction is the sign of the mean difference in the tests table.");
        s.paragraph(TestRows.METHOD);
        boolean haveRandom = in.hasStrategy(ReportInputs.RANDOM);
        for (String h : in.heals()) {
            String base = ReportContent.pointer("heals", h, "accuracyChange");
            List<String> header = new ArrayList<>(List.of("Strategy"));
            header.addAll(in.datasets());
            header.add("Mean");
            header.add("SE");
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            List<BarCharts.Bar> bars = new ArrayList<>();
            Map<String, double[]> dots = new LinkedHashMap<>();
            in.datasets().forEach(d -> dots.put(d, new double[in.strategies().size()]));
            TestRows tests = new TestRows(out);
            for (int i = 0; i < in.strategies().size(); i++) {
                String st = in.strategies().get(i);
                String name = ReportInputs.displayName(st);
                List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(name)));
                double[] change = new double[in.datasets().size()];
                double[] randomChange = new double[in.datasets().size()];
                for (int j = 0; j < change.length; j++) {
                    String d = in.datasets().get(j);
                    change[j] = change(in, d, h, st);
                    randomChange[j] = change(in, d, h, ReportInputs.RANDOM);
                    dots.get(d)[i] = change[j];
                    row.add(Double.isFinite(change[j]) ? out.number(base + ReportContent.pointer("byDataset", d), st,
                            change[j], Formats.PERCENT) : ReportTable.Cell.number(Double.NaN, Formats.PERCENT, null));
                }
                double[] present = ReportMath.finite(change);
                String mp = base + ReportContent.pointer("mean", st);
                double mean = ReportMath.mean(present);
                double se = ReportMath.standardError(present);
                row.add(out.number(mp, "mean", mean, Formats.PERCENT));
                row.add(out.number(mp, "se", se, "%.2f"));
                out.node(mp).put("datasets", present.length);
                rows.add(row);

                String tp = base + ReportContent.pointer("tests", st);
                WilcoxonResult vsZero = PairedWilcoxon.againstConstant(present, 0);
                tests.add(name, "max-accuracy change vs 0", "datasets", tp, "vsZero", vsZero);
                boolean sigRandom = false;
                if (haveRandom && !st.equals(ReportInputs.RANDOM)) {
                    double[][] pr = pairs(change, randomChange);
                    WilcoxonResult vsRandom = PairedWilcoxon.test(pr[0], pr[1]);
                    sigRandom = vsRandom.significant(0.05);
                    tests.add(name, "max-accuracy change vs random's", "datasets", tp, "vsRandom", vsRandom);
                }
                double[][] sb = stepPairs(in, h, st, Optional.empty());
                tests.add(name, "accuracy vs baseline", "dataset × step", tp, "stepsVsBaseline",
                        PairedWilcoxon.test(sb[0], sb[1]));
                if (haveRandom && !st.equals(ReportInputs.RANDOM)) {
                    double[][] sr = stepPairs(in, h, st, Optional.of(ReportInputs.RANDOM));
                    tests.add(name, "accuracy vs random's mean", "dataset × step", tp, "stepsVsRandom",
                            PairedWilcoxon.test(sr[0], sr[1]));
                }
                String mark = (vsZero.significant(0.05) ? " *" : "") + (sigRandom ? " †" : "");
                bars.add(new BarCharts.Bar(name + mark, looks.get(st).color(), mean, se));
            }
            out.table(s, new ReportTable("accuracy-change-" + h, "Change of max accuracy vs baseline (%), healing " + h,
                    null, header, rows), false);
            if (bars.stream().anyMatch(b -> Double.isFinite(b.value()))) {
                out.figure(s, "accuracy-change-" + h, "Accuracy change, healing " + h, "Mean change of max accuracy "
                        + "vs baseline over datasets (bars, ± standard error) and per dataset (markers), healing "
                        + h + ". * p < 0.05 vs 0; † p < 0.05 vs random.", BarCharts.withDots(
                        "Change of max accuracy vs baseline — healing: " + h, "Change (%)", bars, dots));
            }
            if (!tests.isEmpty()) {
                out.table(s, tests.table("accuracy-change-tests-" + h, "Wilcoxon tests of accuracy change, healing " + h,
                        null), true);
            }
        }
    }

    private static double change(ReportInputs in, String dataset, String heal, String strategy) {
        Optional<BaselineReference> b = in.baseline(dataset);
        Optional<StrategyOutcome> o = in.outcome(dataset, heal, strategy);
        return b.isPresent() && o.isPresent() ? percent(o.get().maxAccuracy(), b.get().accuracy()) : Double.NaN;
    }

    /** The index-aligned pairs where both are finite. */
    static double[][] pairs(double[] x, double[] y) {
        List<double[]> p = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                p.add(new double[] {x[i], y[i]});
            }
        }
        return new double[][] {p.stream().mapToDouble(v -> v[0]).toArray(), p.stream().mapToDouble(v -> v[1]).toArray()};
    }

    /**
     * (strategy accuracy at step k, reference) over datasets and steps k ≥ 1, the reference
     * being the baseline accuracy, or the other strategy's mean accuracy at the same step.
     */
    static double[][] stepPairs(ReportInputs in, String heal, String strategy, Optional<String> reference) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (String d : in.datasets()) {
            Optional<StrategyOutcome> o = in.outcome(d, heal, strategy);
            if (o.isEmpty()) {
                continue;
            }
            double[] mine = o.get().accuracy().mean();
            double[] ref;
            if (reference.isPresent()) {
                Optional<StrategyOutcome> r = in.outcome(d, heal, reference.get());
                if (r.isEmpty()) {
                    continue;
                }
                ref = r.get().accuracy().mean();
            } else {
                Optional<BaselineReference> b = in.baseline(d);
                if (b.isEmpty()) {
                    continue;
                }
                ref = new double[mine.length];
                java.util.Arrays.fill(ref, b.get().accuracy());
            }
            for (int k = 1; k < Math.min(mine.length, ref.length); k++) {
                if (Double.isFinite(mine[k]) && Double.isFinite(ref[k])) {
                    x.add(mine[k]);
                    y.add(ref[k]);
                }
            }
        }
        return new double[][] {x.stream().mapToDouble(Double::doubleValue).toArray(),
            y.stream().mapToDouble(Double::doubleValue).toArray()};
    }
}
