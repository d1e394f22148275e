package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The short plain-text summary printed to stdout and shown at the top of report.html. */
final class TextSummary {

    private static final int MISSING_LINES = 12;

    private TextSummary() {
    }

    static String of(ReportInputs in) {
        StringBuilder sb = new StringBuilder();
        long complete = in.results().cells().stream().filter(c -> c.complete()).count();
        sb.append(String.format(Locale.ROOT, "Study: %s, %d dataset(s), healing %s, %d strategies; %d of %d cells "
                        + "complete.%n", in.spec().model(), in.datasets().size(), String.join("/", in.heals()),
                in.strategies().size(), complete, in.results().cells().size()));
        if (!in.missing().isEmpty()) {
            sb.append(in.missing().size()).append(" item(s) missing or incomplete:\n");
            List<String> lines = missingLines(in);
            lines.stream().limit(MISSING_LINES).forEach(l -> sb.append("  - ").append(l).append('\n'));
            if (lines.size() > MISSING_LINES) {
                sb.append("  ... and ").append(lines.size() - MISSING_LINES).append(" more (see the report)\n");
            }
        }
        sb.append("Best strategy by max accuracy over the pruned models (steps >= 1):\n");
        for (String h : in.heals()) {
            for (String d : in.datasets()) {
                List<String> best = MaxAccuracySection.best(in, d, h);
                String base = in.baseline(d).map(b -> String.format(Locale.ROOT, " (baseline %.3f)", b.accuracy()))
                        .orElse("");
                if (best.isEmpty()) {
                    sb.append(String.format(Locale.ROOT, "  [%s] %s: no pruned result yet%n", h, d));
                } else {
                    double v = in.outcome(d, h, best.get(0)).orElseThrow().maxAccuracy();
                    sb.append(String.format(Locale.ROOT, "  [%s] %s: %s %.3f%s%n", h, d, String.join(" = ",
                            best.stream().map(ReportInputs::displayName).toList()), v, base));
                }
            }
            List<Map.Entry<String, Double>> ranks = meanRanks(in, h);
            if (!ranks.isEmpty()) {
                List<String> top = ranks.stream().limit(3).map(e -> String.format(Locale.ROOT, "%s %.2f",
                        ReportInputs.displayName(e.getKey()), e.getValue())).toList();
                sb.append(String.format(Locale.ROOT, "  [%s] top mean ranks (N = best): %s%n", h, String.join(", ",
                        top)));
            }
        }
        Optional<String> fusion = HealComparisonSection.strategy(in);
        if (fusion.isPresent()) {
            String st = fusion.get();
            String name = ReportInputs.displayName(st);
            if (in.heals().contains("ce") && in.heals().contains("kd")) {
                sb.append("KD vs CE, ").append(name).append(" max accuracy:\n");
                for (String d : in.datasets()) {
                    Optional<StrategyOutcome> ce = in.outcome(d, "ce", st);
                    Optional<StrategyOutcome> kd = in.outcome(d, "kd", st);
                    if (ce.isPresent() && kd.isPresent()) {
                        double diff = kd.get().maxAccuracy() - ce.get().maxAccuracy();
                        sb.append(String.format(Locale.ROOT, "  %s: kd %.3f vs ce %.3f (%+.3f, %s)%n", d,
                                kd.get().maxAccuracy(), ce.get().maxAccuracy(), diff, diff > 0 ? "kd better"
                                        : diff < 0 ? "ce better" : "equal"));
                    } else {
                        sb.append("  ").append(d).append(": not both available\n");
                    }
                }
            }
            sb.append("Accuracy-per-GB gain of the best ").append(name).append(" model over the baseline, 100 x "
                    + "(r/r0 - 1) (paper, distilled: mean +18.84 %, std 6.28, min +10.29, max +29.29):\n");
            for (String h : in.heals()) {
                double[] g = SizeEfficiencySection.gains(in, h, st);
                double[] f = ReportMath.finite(g);
                if (f.length == 0) {
                    sb.append(String.format(Locale.ROOT, "  [%s] no result%n", h));
                } else {
                    sb.append(String.format(Locale.ROOT, "  [%s] mean %+.2f %%, std %.2f, min %+.2f, max %+.2f over %d "
                                    + "dataset(s)%n", h, ReportMath.mean(f), ReportMath.std(f), ReportMath.min(f),
                            ReportMath.max(f), f.length));
                }
            }
        }
        return sb.toString();
    }

    /** One line per item, except that a dataset × healing mode with no cell started is one line. */
    private static List<String> missingLines(ReportInputs in) {
        Map<String, Long> missingPerGroup = new java.util.LinkedHashMap<>();
        for (MissingItem m : in.missing()) {
            if (m.kind().equals("cell-missing")) {
                missingPerGroup.merge(group(m.what()), 1L, Long::sum);
            }
        }
        Map<String, Long> cellsPerGroup = new java.util.LinkedHashMap<>();
        in.spec().cells().forEach(k -> cellsPerGroup.merge(k.dataset() + "/" + k.heal(), 1L, Long::sum));
        List<String> out = new ArrayList<>();
        java.util.Set<String> grouped = new java.util.HashSet<>();
        for (MissingItem m : in.missing()) {
            String g = group(m.what());
            boolean all = m.kind().equals("cell-missing") && missingPerGroup.get(g).equals(cellsPerGroup.get(g));
            if (!all) {
                out.add(m.toString());
            } else if (grouped.add(g)) {
                out.add("cell-missing " + g + ": all " + cellsPerGroup.get(g) + " cells have no step recorded");
            }
        }
        return out;
    }

    /** {@code dataset/heal} of a cell name {@code dataset/heal/strategy/rep-r}. */
    private static String group(String cell) {
        String[] p = cell.split("/");
        return p.length < 2 ? cell : p[0] + "/" + p[1];
    }

    private static List<Map.Entry<String, Double>> meanRanks(ReportInputs in, String heal) {
        List<Map.Entry<String, Double>> out = new ArrayList<>();
        for (String st : in.strategies()) {
            double[] r = in.datasets().stream().map(d -> RanksSection.ranks(in, d, heal).get(st))
                    .filter(x -> x != null).mapToDouble(Double::doubleValue).toArray();
            if (r.length > 0) {
                out.add(Map.entry(st, ReportMath.mean(r)));
            }
        }
        out.sort(Comparator.comparing((Map.Entry<String, Double> e) -> e.getValue()).reversed());
        return out;
    }
}
