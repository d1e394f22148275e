package org.layerfuse.prune.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudySpec;

/** The study's settings, its baselines, and what the results directory lacks. */
final class OverviewSection {

    private OverviewSection() {
    }

    static void add(ReportInputs in, ReportContent out) {
        StudySpec spec = in.spec();
        out.json().put("studyRoot", in.results().root().toAbsolutePath().toString());
        out.json().set("spec", StudyResults.JSON.valueToTree(spec));
        ReportSection s = out.section("overview", "Study");
        s.paragraph("Model " + spec.model() + " (" + in.numLayers() + " encoder layers); datasets: "
                + String.join(", ", spec.datasets()) + "; healing modes: " + String.join(", ", spec.heals())
                + "; " + spec.strategies().size() + " strategies, random ones repeated " + spec.randomRepeats()
                + " times; each run removes " + spec.layersToRemove() + " layers one at a time.");

        List<List<ReportTable.Cell>> rows = new ArrayList<>();
        for (String d : in.datasets()) {
            String p = ReportContent.pointer("baselines", d);
            var b = in.baseline(d);
            ObjectNode node = out.node(p);
            node.put("source", b.map(BaselineReference::source).orElse("missing"));
            rows.add(List.of(ReportTable.Cell.text(d),
                    out.number(p, "accuracy", b.map(BaselineReference::accuracy).orElse(Double.NaN), Formats.ACCURACY),
                    out.number(p, "parameters", b.map(x -> (double) x.parameters()).orElse(Double.NaN), Formats.COUNT),
                    out.number(p, "sizeGb", b.map(BaselineReference::sizeGb).orElse(Double.NaN), Formats.GB),
                    out.number(p, "ratio", b.map(BaselineReference::ratio).orElse(Double.NaN), Formats.RATIO),
                    ReportTable.Cell.text(b.map(BaselineReference::source).orElse("missing"))));
        }
        out.table(s, new ReportTable("baselines", "Baselines (unpruned, fine-tuned)",
                "Test accuracy and float32 size (parameters × 4 / 10⁹ GB) of the unpruned model of each dataset.",
                List.of("Dataset", "Accuracy", "Parameters", "Size (GB)", "Accuracy / GB", "Source"), rows), false);

        ArrayNode missing = out.json().putArray("missing");
        List<List<ReportTable.Cell>> mrows = new ArrayList<>();
        for (MissingItem m : in.missing()) {
            ObjectNode n = missing.addObject();
            n.put("kind", m.kind());
            n.put("what", m.what());
            n.put("detail", m.detail());
            mrows.add(List.of(ReportTable.Cell.text(m.kind()), ReportTable.Cell.text(m.what()),
                    ReportTable.Cell.text(m.detail())));
        }
        ReportSection ms = out.section("missing", "Missing or incomplete results (" + in.missing().size() + ")");
        if (mrows.isEmpty()) {
            ms.paragraph("Nothing is missing: every baseline and every cell of the study is complete.");
        } else {
            ms.paragraph("The study asked for these but the results directory does not (fully) hold them; the "
                    + "report uses what is there. Incomplete runs count with the steps they recorded.");
            out.table(ms, new ReportTable("missing", "Missing or incomplete", null, List.of("Kind", "What", "Detail"),
                    mrows), false);
        }
    }
}
