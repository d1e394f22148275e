package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * Section 3 (Fig. 2): strategies ranked by max accuracy per dataset, the highest getting rank
 * N (the number of strategies with a result on that dataset), ties the average of their
 * ranks; and the mean rank over the datasets where a strategy has one.
 */
final class RanksSection {

    private static final NaturalRanking RANKING = new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE);

    private RanksSection() {
    }

    /** Rank per strategy on one dataset (absent strategies left out). */
    static Map<String, Double> ranks(ReportInputs in, String dataset, String heal) {
        List<String> present = in.strategies().stream().filter(st -> in.outcome(dataset, heal, st).isPresent()).toList();
        double[] v = present.stream().mapToDouble(st -> in.outcome(dataset, heal, st).orElseThrow().maxAccuracy())
                .toArray();
        double[] r = v.length == 0 ? v : RANKING.rank(v);
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < present.size(); i++) {
            out.put(present.get(i), r[i]);
        }
        return out;
    }

    static void add(ReportInputs in, ReportContent out, Map<String, StrategyStyle.Look> looks) {
        ReportSection s = out.section("ranks", "Strategy ranks (Fig. 2)");
        s.paragraph("Per dataset, strategies are ranked by maximum accuracy: the highest gets rank N, the number of "
                + "strategies with a result on that dataset (N = 15 in the paper), the next N − 1, and so on; tied "
                + "strategies share the average of their ranks. Every strategy of the study is ranked, Random10 "
                + "included when present. Mean rank: over the datasets where the strategy has a result. Bars: mean "
                + "rank; markers: the rank on each dataset.");
        for (String h : in.heals()) {
            String base = ReportContent.pointer("heals", h, "ranks");
            Map<String, Map<String, Double>> byDataset = new LinkedHashMap<>();
            for (String d : in.datasets()) {
                Map<String, Double> r = ranks(in, d, h);
                byDataset.put(d, r);
                out.node(base + "/strategiesRanked").put(d, r.size());
            }
            List<String> header = new ArrayList<>(List.of("Strategy"));
            header.addAll(in.datasets());
            header.add("Mean rank");
            header.add("Datasets");
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            List<BarCharts.Bar> bars = new ArrayList<>();
            Map<String, double[]> dots = new LinkedHashMap<>();
            for (String d : in.datasets()) {
                dots.put(d, new double[in.strategies().size()]);
            }
            for (int i = 0; i < in.strategies().size(); i++) {
                String st = in.strategies().get(i);
                List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(ReportInputs.displayName(st))));
                List<Double> mine = new ArrayList<>();
                for (String d : in.datasets()) {
                    Double r = byDataset.get(d).get(st);
                    dots.get(d)[i] = r == null ? Double.NaN : r;
                    if (r == null) {
                        row.add(ReportTable.Cell.number(Double.NaN, Formats.RANK, null));
                    } else {
                        mine.add(r);
                        row.add(out.number(base + ReportContent.pointer("byDataset", d), st, r, Formats.RANK));
                    }
                }
                double mean = ReportMath.mean(mine.stream().mapToDouble(Double::doubleValue).toArray());
                String mp = base + ReportContent.pointer("mean", st);
                row.add(out.number(mp, "mean", mean, Formats.RANK));
                row.add(out.number(mp, "datasets", mine.size(), Formats.COUNT));
                rows.add(row);
                bars.add(new BarCharts.Bar(ReportInputs.displayName(st), looks.get(st).color(), mean, Double.NaN));
            }
            out.table(s, new ReportTable("ranks-" + h, "Ranks by maximum accuracy, healing " + h, null, header, rows),
                    false);
            if (bars.stream().anyMatch(b -> Double.isFinite(b.value()))) {
                out.figure(s, "ranks-" + h, "Ranks, healing " + h, "Mean rank (bars) and rank per dataset (markers), "
                        + "healing " + h + "; higher is better.", BarCharts.withDots("Strategy ranks — healing: " + h
                        + " (higher is better)", "Rank (N = best)", bars, dots));
            }
        }
    }
}
