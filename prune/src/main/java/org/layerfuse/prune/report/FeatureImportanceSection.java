package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.signals.Signal;

/**
 * Section 7 (Fig. 6): what the fusion strategies learned from the twelve signals. Each
 * step's vector (random-forest impurity importance, or linear-regression standardised
 * coefficients) is divided by its largest absolute value, which maps it into [−1, 1] keeping
 * signs and zero; the rescaled vectors of all pruned steps of all datasets and repeats are
 * averaged, with the standard error over those vectors.
 */
final class FeatureImportanceSection {

    private FeatureImportanceSection() {
    }

    /** The rescaled importance vectors, one per step with a non-zero vector. */
    static List<double[]> units(ReportInputs in, String heal, String strategy) {
        List<double[]> out = new ArrayList<>();
        for (String d : in.datasets()) {
            for (Run r : in.runs(d, heal, strategy)) {
                for (StepRecord s : r.pruned()) {
                    double[] v = s.featureImportance();
                    if (v == null) {
                        continue;
                    }
                    double max = Arrays.stream(v).map(Math::abs).max().orElse(0);
                    if (max > 0) {
                        out.add(Arrays.stream(v).map(x -> x / max).toArray());
                    }
                }
            }
        }
        return out;
    }

    static void add(ReportInputs in, ReportContent out) {
        ReportSection s = out.section("feature-importance", "Signal importance in the fusion strategies (Fig. 6)");
        s.paragraph("Per pruning step, the fusion model's importance of each signal (random forest: impurity "
                + "importance; linear regression: coefficient of the standardised signal) is divided by the largest "
                + "absolute value of that step, which puts it in [−1, 1] with signs and zeros kept (steps where all "
                + "twelve are zero are skipped). Mean and standard error are over all such steps of all datasets and "
                + "repeats (steps of one run are not independent, so the error is optimistic). Test per signal: "
                + "against 0 when the importances can be negative (coefficients), otherwise against the median of "
                + "the twelve values of the same step (the paper's test for the random forest).");
        s.paragraph(TestRows.METHOD);
        Signal[] signals = Signal.values();
        List<String> signalNames = Arrays.stream(signals).map(Signal::displayName).toList();
        for (String h : in.heals()) {
            String base = ReportContent.pointer("heals", h, "featureImportance");
            List<String> header = new ArrayList<>(List.of("Signal"));
            List<String> fusion = new ArrayList<>();
            List<List<double[]>> all = new ArrayList<>();
            for (String st : in.fusionStrategies()) {
                List<double[]> u = units(in, h, st);
                if (!u.isEmpty() && u.get(0).length == signals.length) {
                    fusion.add(st);
                    all.add(u);
                    String n = ReportInputs.displayName(st);
                    header.addAll(List.of(n + " mean", n + " SE", n + " p"));
                }
            }
            if (fusion.isEmpty()) {
                s.paragraph("Healing " + h + ": no fusion strategy recorded feature importances.");
                continue;
            }
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            for (int c = 0; c < signals.length; c++) {
                rows.add(new ArrayList<>(List.of(ReportTable.Cell.text(signalNames.get(c)))));
            }
            TestRows tests = new TestRows(out);
            List<BarCharts.Group> groups = new ArrayList<>();
            for (int f = 0; f < fusion.size(); f++) {
                String st = fusion.get(f);
                List<double[]> u = all.get(f);
                String p = base + ReportContent.pointer(st);
                out.node(p).put("steps", u.size());
                boolean signed = u.stream().flatMapToDouble(Arrays::stream).anyMatch(x -> x < 0);
                out.node(p).put("test", signed ? "vsZero" : "vsStepMedian");
                double[] mean = new double[signals.length];
                double[] se = new double[signals.length];
                for (int c = 0; c < signals.length; c++) {
                    final int col = c;
                    double[] v = u.stream().mapToDouble(x -> x[col]).toArray();
                    mean[c] = ReportMath.mean(v);
                    se[c] = ReportMath.standardError(v);
                    double[] ref = signed ? new double[v.length] : u.stream().mapToDouble(FeatureImportanceSection::median)
                            .toArray();
                    WilcoxonResult r = PairedWilcoxon.test(v, ref);
                    String sp = p + ReportContent.pointer("signals", signals[c].cliName());
                    rows.get(c).add(out.number(sp, "mean", mean[c], Formats.IMPORTANCE));
                    rows.get(c).add(out.number(sp, "se", se[c], Formats.IMPORTANCE));
                    tests.add(ReportInputs.displayName(st) + ": " + signalNames.get(c), signed ? "vs 0"
                            : "vs the step's median", "steps", sp, "test", r);
                    rows.get(c).add(ReportTable.Cell.number(r.p(), Formats.P, sp + "/test/p")
                            .bolded(r.significant(0.05)));
                }
                groups.add(new BarCharts.Group(ReportInputs.displayName(st), st.equals("linear-regression")
                        ? StrategyStyle.LINEAR_REGRESSION : st.equals("random-forest") ? StrategyStyle.RANDOM_FOREST
                        : new java.awt.Color(0x2CA02C), mean, se));
            }
            out.table(s, new ReportTable("feature-importance-" + h, "Rescaled signal importance, healing " + h, null,
                    header, rows), false);
            out.figure(s, "feature-importance-" + h, "Signal importance, healing " + h, "Mean rescaled importance ± "
                    + "standard error, healing " + h + ".", BarCharts.grouped("Signal importance in the fusion "
                    + "strategies — healing: " + h, "Importance rescaled to [−1, 1]", signalNames, groups, false));
            out.table(s, tests.table("feature-importance-tests-" + h, "Wilcoxon tests of signal importance, healing "
                    + h, null), true);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
