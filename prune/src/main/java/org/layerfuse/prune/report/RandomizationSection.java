package org.layerfuse.prune.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Section 8 (Fig. 8): randomisation tests. The fusion strategies' max accuracy against the
 * random strategies' (Random12 = {@code random}, Random10 = {@code random10}) mean of
 * per-repeat max accuracies, per dataset; tested per dataset with the repeats' maxima against
 * the fusion's value (pairs: repeats), and across datasets with the fusion value against the
 * random mean (pairs: datasets).
 */
final class RandomizationSection {

    private static final Color[] RANDOM_COLORS = {new Color(0x505050), new Color(0x6AA84F), new Color(0xA0A0A0)};

    private RandomizationSection() {
    }

    static String label(String random) {
        return random.equals(ReportInputs.RANDOM) ? "Random12" : random.equals("random10") ? "Random10"
                : ReportInputs.displayName(random);
    }

    static void add(ReportInputs in, ReportContent out) {
        ReportSection s = out.section("randomization", "Randomisation tests (Fig. 8)");
        List<String> fusion = in.fusionStrategies();
        List<String> randoms = in.randomStrategies();
        if (fusion.isEmpty() || randoms.isEmpty()) {
            s.paragraph("Needs a fusion strategy and a random one (random = Random12, random10 = Random10); the study "
                    + "has " + (fusion.isEmpty() ? "no fusion strategy with results" : "no random strategy") + ".");
            return;
        }
        s.paragraph("Bars: max accuracy of each fusion strategy, and the mean over repeats of the random strategies' "
                + "per-repeat max accuracy (error bar: sample standard deviation over repeats). Random12 picks any "
                + "live layer, Random10 never the first or last. Tests: per dataset, the random repeats' maxima "
                + "against the fusion's max (pairs: repeats; d = fusion − repeat), and over datasets the fusion's "
                + "max against the random mean (pairs: datasets).");
        s.paragraph(TestRows.METHOD);
        for (String h : in.heals()) {
            String base = ReportContent.pointer("heals", h, "randomization");
            List<String> header = new ArrayList<>(List.of("Dataset"));
            fusion.forEach(f -> header.add(ReportInputs.displayName(f)));
            randoms.forEach(r -> {
                header.add(label(r) + " mean");
                header.add(label(r) + " std");
                header.add(label(r) + " repeats");
            });
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            TestRows tests = new TestRows(out);
            List<BarCharts.Group> groups = new ArrayList<>();
            double[][] fusionMax = new double[fusion.size()][in.datasets().size()];
            double[][] randomMean = new double[randoms.size()][in.datasets().size()];
            double[][] randomStd = new double[randoms.size()][in.datasets().size()];
            for (int j = 0; j < in.datasets().size(); j++) {
                String d = in.datasets().get(j);
                String dp = base + ReportContent.pointer("byDataset", d);
                List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(d)));
                for (int f = 0; f < fusion.size(); f++) {
                    fusionMax[f][j] = in.outcome(d, h, fusion.get(f)).map(StrategyOutcome::maxAccuracy)
                            .orElse(Double.NaN);
                    row.add(out.number(dp + "/fusion", fusion.get(f), fusionMax[f][j], Formats.ACCURACY));
                }
                for (int r = 0; r < randoms.size(); r++) {
                    Optional<StrategyOutcome> o = in.outcome(d, h, randoms.get(r));
                    double[] maxima = o.map(StrategyOutcome::repeatMax).orElse(new double[0]);
                    String rp = dp + ReportContent.pointer("random", randoms.get(r));
                    randomMean[r][j] = ReportMath.mean(maxima);
                    randomStd[r][j] = ReportMath.std(maxima);
                    ReportContent.array(out.node(rp), "repeats", maxima);
                    row.add(out.number(rp, "mean", randomMean[r][j], Formats.ACCURACY));
                    row.add(out.number(rp, "std", randomStd[r][j], Formats.ACCURACY));
                    row.add(out.number(rp, "count", maxima.length, Formats.COUNT));
                    for (int f = 0; f < fusion.size(); f++) {
                        if (maxima.length == 0 || !Double.isFinite(fusionMax[f][j])) {
                            continue;
                        }
                        double[] fx = new double[maxima.length];
                        Arrays.fill(fx, fusionMax[f][j]);
                        tests.add(d, ReportInputs.displayName(fusion.get(f)) + " vs " + label(randoms.get(r)),
                                "repeats", dp + "/tests", fusion.get(f) + " vs " + randoms.get(r),
                                PairedWilcoxon.test(fx, maxima));
                    }
                }
                rows.add(row);
            }
            for (int f = 0; f < fusion.size(); f++) {
                for (int r = 0; r < randoms.size(); r++) {
                    double[][] pr = AccuracyChangeSection.pairs(fusionMax[f], randomMean[r]);
                    tests.add("all datasets", ReportInputs.displayName(fusion.get(f)) + " vs " + label(randoms.get(r))
                            + " mean", "datasets", base + "/acrossDatasets", fusion.get(f) + " vs " + randoms.get(r),
                            PairedWilcoxon.test(pr[0], pr[1]));
                }
            }
            out.table(s, new ReportTable("randomization-" + h, "Fusion vs random layer order, healing " + h, null,
                    header, rows), false);
            for (int f = 0; f < fusion.size(); f++) {
                String st = fusion.get(f);
                groups.add(new BarCharts.Group(ReportInputs.displayName(st), st.equals("linear-regression")
                        ? StrategyStyle.LINEAR_REGRESSION : st.equals("random-forest") ? StrategyStyle.RANDOM_FOREST
                        : new Color(0x2CA02C), fusionMax[f], null));
            }
            for (int r = 0; r < randoms.size(); r++) {
                groups.add(new BarCharts.Group(label(randoms.get(r)) + " (mean ± std)",
                        RANDOM_COLORS[r % RANDOM_COLORS.length], randomMean[r], randomStd[r]));
            }
            if (BarCharts.hasData(groups)) {
                out.figure(s, "randomization-" + h, "Randomisation tests, healing " + h, "Max accuracy of the fusion "
                    + "strategies and mean max accuracy of random layer orders, healing " + h + "; the value axis does not start at 0.",
                        BarCharts.grouped("Informed vs random pruning order — healing: " + h, "Max test accuracy",
                                in.datasets(), groups, true));
            }
            out.table(s, tests.table("randomization-tests-" + h, "Wilcoxon tests, fusion vs random, healing " + h,
                    null), true);
        }
    }
}
