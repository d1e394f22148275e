package org.layerfuse.prune.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** Section 1 (Fig. 1): accuracy against layers pruned per dataset and healing mode. */
final class CurvesSection {

    private CurvesSection() {
    }

    static void add(ReportInputs in, ReportContent out, Map<String, StrategyStyle.Look> looks) {
        ReportSection s = out.section("curves", "Accuracy versus layers pruned");
        s.paragraph("Test accuracy after healing against the number of layers removed (step 0 is the unpruned "
                + "model). Repeated (random) strategies: the line is the mean over repeats and the shaded band spans "
                + "the minimum to the maximum over the repeats that reached that step. Dashed black line: the "
                + "unpruned baseline. The values, with the per-step accuracy per GB, are in summary.json under "
                + "heals/<heal>/curves.");
        for (String h : in.heals()) {
            s.subheading("Healing: " + h);
            for (String d : in.datasets()) {
                String p = ReportContent.pointer("heals", h, "curves", d);
                Map<String, StepSeries> series = new LinkedHashMap<>();
                for (String st : in.strategies()) {
                    in.outcome(d, h, st).ifPresent(o -> {
                        StepSeries acc = o.accuracy();
                        series.put(st, acc);
                        ObjectNode n = out.node(p + ReportContent.pointer(st));
                        ArrayNode steps = n.putArray("steps");
                        for (int k = 0; k < acc.steps(); k++) {
                            steps.add(k);
                        }
                        ReportContent.array(n, "mean", acc.mean());
                        ReportContent.array(n, "min", acc.min());
                        ReportContent.array(n, "max", acc.max());
                        ReportContent.array(n, "std", acc.std());
                        ArrayNode count = n.putArray("repeats");
                        for (int c : acc.count()) {
                            count.add(c);
                        }
                        ReportContent.array(n, "accuracyPerGbMean", o.ratio().mean());
                    });
                }
                if (series.isEmpty()) {
                    s.paragraph(d + " / " + h + ": no run has a pruned step yet.");
                    continue;
                }
                double base = in.baseline(d).map(BaselineReference::accuracy).orElse(Double.NaN);
                out.figure(s, "accuracy-" + d + "-" + h, d + ", healing " + h,
                        "Accuracy versus layers pruned on " + d + " (healing " + h + ").",
                        AccuracyCurveChart.render(d + " — healing: " + h, base, AccuracyCurveChart.lines(series,
                                looks)));
            }
        }
    }
}
