package org.layerfuse.prune.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Section 5 (Fig. 4): accuracy-to-size ratio, accuracy / GB with GB = parameters × 4 / 10⁹
 * from each record's actual parameter count. Per strategy and dataset: the ratio of the
 * best-accuracy model and its gain over the baseline's ratio, 100 × (r_best / r_0 − 1) (the
 * paper's "percentage improvement in the maximum accuracy-to-size ratio"), and the maximum
 * of the ratio over all pruned steps.
 */
final class SizeEfficiencySection {

    private SizeEfficiencySection() {
    }

    static double gainPercent(double ratio, double baselineRatio) {
        return 100 * (ratio / baselineRatio - 1);
    }

    static void add(ReportInputs in, ReportContent out, Map<String, StrategyStyle.Look> looks) {
        ReportSection s = out.section("size-efficiency", "Accuracy-to-size ratio (Fig. 4)");
        s.paragraph("Accuracy per GB of float32 weights (parameters × 4 / 10⁹, from the parameter counts the runs "
                + "recorded). Gain: 100 × (r / r₀ − 1), r the accuracy / GB of the strategy's best-accuracy model "
                + "(Table 1; on a tie the smaller model), r₀ the unpruned baseline's. Max ratio: the largest accuracy / "
                + "GB over all pruned steps (it favours the smallest models). Repeated strategies: mean over repeats "
                + "of each repeat's value. Bars: mean gain over datasets ± standard error, markers: per dataset; † "
                + "p < 0.05 against random (Wilcoxon, pairs: datasets).");
        boolean haveRandom = in.hasStrategy(ReportInputs.RANDOM);
        for (String h : in.heals()) {
            String base = ReportContent.pointer("heals", h, "sizeEfficiency");
            List<String> header = new ArrayList<>(List.of("Strategy"));
            in.datasets().forEach(d -> header.add(d + " gain %"));
            header.addAll(List.of("Mean gain %", "SE"));
            in.datasets().forEach(d -> header.add(d + " max acc/GB"));
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            List<BarCharts.Bar> bars = new ArrayList<>();
            Map<String, double[]> dots = new LinkedHashMap<>();
            in.datasets().forEach(d -> dots.put(d, new double[in.strategies().size()]));
            TestRows tests = new TestRows(out);
            double[] randomGain = gains(in, h, ReportInputs.RANDOM);
            for (int i = 0; i < in.strategies().size(); i++) {
                String st = in.strategies().get(i);
                String name = ReportInputs.displayName(st);
                List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(name)));
                List<ReportTable.Cell> maxCells = new ArrayList<>();
                double[] gain = gains(in, h, st);
                for (int j = 0; j < gain.length; j++) {
                    String d = in.datasets().get(j);
                    dots.get(d)[i] = gain[j];
                    Optional<StrategyOutcome> o = in.outcome(d, h, st);
                    if (o.isEmpty()) {
                        row.add(ReportTable.Cell.number(Double.NaN, Formats.PERCENT, null));
                        maxCells.add(ReportTable.Cell.number(Double.NaN, Formats.RATIO, null));
                        continue;
                    }
                    String p = base + ReportContent.pointer("byDataset", d, st);
                    ObjectNode n = out.node(p);
                    ArrayNode steps = n.putArray("bestSteps");
                    for (int k : o.get().repeatBestStep()) {
                        steps.add(k);
                    }
                    ReportContent.array(n, "bestSizeGb", o.get().repeatBestSizeGb());
                    ReportContent.put(n, "bestRatio", o.get().bestRatio());
                    row.add(out.number(p, "bestRatioGainPercent", gain[j], Formats.PERCENT));
                    maxCells.add(out.number(p, "maxRatio", o.get().maxRatio(), Formats.RATIO));
                }
                double[] present = ReportMath.finite(gain);
                String mp = base + ReportContent.pointer("mean", st);
                double mean = ReportMath.mean(present);
                double se = ReportMath.standardError(present);
                row.add(out.number(mp, "gainPercent", mean, Formats.PERCENT));
                row.add(out.number(mp, "se", se, "%.2f"));
                out.node(mp).put("datasets", present.length);
                row.addAll(maxCells);
                rows.add(row);
                boolean sig = false;
                if (haveRandom && !st.equals(ReportInputs.RANDOM)) {
                    double[][] pr = AccuracyChangeSection.pairs(gain, randomGain);
                    WilcoxonResult r = PairedWilcoxon.test(pr[0], pr[1]);
                    sig = r.significant(0.05);
                    tests.add(name, "ratio gain vs random's", "datasets", base + ReportContent.pointer("tests", st),
                            "vsRandom", r);
                }
                bars.add(new BarCharts.Bar(name + (sig ? " †" : ""), looks.get(st).color(), mean, se));
            }
            out.table(s, new ReportTable("size-efficiency-" + h, "Accuracy-to-size ratio, healing " + h, null, header,
                    rows), false);
            if (bars.stream().anyMatch(b -> Double.isFinite(b.value()))) {
                out.figure(s, "size-efficiency-" + h, "Accuracy-to-size gain, healing " + h, "Gain of the best model's "
                        + "accuracy / GB over the baseline's, healing " + h + ". † p < 0.05 vs random.",
                        BarCharts.withDots("Accuracy-to-size gain vs baseline — healing: " + h,
                                "Gain of accuracy / GB (%)", bars, dots));
            }
            if (!tests.isEmpty()) {
                out.table(s, tests.table("size-efficiency-tests-" + h, "Wilcoxon tests of ratio gain, healing " + h,
                        null), true);
            }
        }
    }

    /** Best-model ratio gain per dataset (NaN where the strategy or the baseline is missing). */
    static double[] gains(ReportInputs in, String heal, String strategy) {
        double[] g = new double[in.datasets().size()];
        for (int j = 0; j < g.length; j++) {
            String d = in.datasets().get(j);
            Optional<BaselineReference> b = in.baseline(d);
            Optional<StrategyOutcome> o = in.outcome(d, heal, strategy);
            g[j] = b.isPresent() && o.isPresent() ? o.get().bestRatioGainPercent(b.get()) : Double.NaN;
        }
        return g;
    }
}
