package org.layerfuse.prune.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 2 (Table 1): the maximum accuracy of each strategy per dataset, over the pruned
 * steps k ≥ 1, with the unpruned baseline as the first row and the best strategy of each
 * column in bold.
 */
final class MaxAccuracySection {

    /** Values within this of the column maximum count as the best too. */
    static final double TIE = 1e-12;

    private MaxAccuracySection() {
    }

    static void add(ReportInputs in, ReportContent out) {
        ReportSection s = out.section("max-accuracy", "Maximum accuracy (Table 1)");
        s.paragraph("Maximum test accuracy over the pruned models (steps k ≥ 1; step 0, the unpruned model, is the "
                + "baseline row and is not a candidate). For repeated strategies the cell is the mean over repeats "
                + "of each repeat's maximum. Bold: the best strategy of the column (all of them on a tie). Also "
                + "written as CSV and Markdown (links below each table).");
        for (String h : in.heals()) {
            List<String> header = new ArrayList<>(List.of("Strategy"));
            header.addAll(in.datasets());
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            List<ReportTable.Cell> baseRow = new ArrayList<>(List.of(ReportTable.Cell.text("Baseline (unpruned)")));
            for (String d : in.datasets()) {
                baseRow.add(ReportTable.Cell.number(in.baseline(d).map(BaselineReference::accuracy)
                        .orElse(Double.NaN), Formats.ACCURACY, ReportContent.pointer("baselines", d, "accuracy")));
            }
            rows.add(baseRow);
            java.util.Map<String, List<String>> best = new java.util.LinkedHashMap<>();
            for (String d : in.datasets()) {
                best.put(d, best(in, d, h));
                ArrayNode b = out.node(ReportContent.pointer("heals", h, "maxAccuracy", d)).putArray("best");
                best.get(d).forEach(b::add);
            }
            for (String st : in.strategies()) {
                List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(ReportInputs.displayName(st))));
                for (String d : in.datasets()) {
                    var o = in.outcome(d, h, st);
                    if (o.isEmpty()) {
                        row.add(ReportTable.Cell.number(Double.NaN, Formats.ACCURACY, null));
                        continue;
                    }
                    StrategyOutcome oc = o.get();
                    String p = ReportContent.pointer("heals", h, "maxAccuracy", d, "strategies", st);
                    ObjectNode n = out.node(p);
                    ReportContent.array(n, "repeats", oc.repeatMax());
                    ArrayNode steps = n.putArray("bestSteps");
                    for (int k : oc.repeatBestStep()) {
                        steps.add(k);
                    }
                    ReportContent.put(n, "std", ReportMath.std(oc.repeatMax()));
                    row.add(out.number(p, "value", oc.maxAccuracy(), Formats.ACCURACY).bolded(best.get(d).contains(st)));
                }
                rows.add(row);
            }
            out.table(s, new ReportTable("max-accuracy-" + h, "Maximum accuracy, healing " + h, null, header, rows),
                    false);
        }
    }

    /** The best strategies of a dataset under a healing mode, as summary.json lists them. */
    static List<String> best(ReportInputs in, String dataset, String heal) {
        double best = in.strategies().stream().mapToDouble(st -> in.outcome(dataset, heal, st)
                .map(StrategyOutcome::maxAccuracy).orElse(Double.NaN)).filter(Double::isFinite).max()
                .orElse(Double.NaN);
        return in.strategies().stream().filter(st -> in.outcome(dataset, heal, st)
                .map(o -> o.maxAccuracy() >= best - TIE).orElse(false)).toList();
    }
}
