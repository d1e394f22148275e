package org.layerfuse.prune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.study.Baseline;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudySpec;

/** The ablation table of grafting (FuseGPT Table 9 for encoders) from a hand-written study. */
class PruneAndFuseReportTest {

    private static final List<String> HEALS = List.of("none", "graft-static", "graft", "ce", "kd");
    private static final List<String> STRATEGIES = List.of("macro-influence-oneshot", "macro-influence");

    /** heal/strategy → accuracy at steps 0..2; one-shot removes 3 then 1, iterative 3 then 2. */
    private static final Map<String, double[]> RUNS = Map.of(
            "none/macro-influence-oneshot", new double[] {0.9, 0.70, 0.55},
            "graft-static/macro-influence-oneshot", new double[] {0.9, 0.60, 0.50},
            "graft/macro-influence-oneshot", new double[] {0.9, 0.85, 0.80},
            "ce/macro-influence-oneshot", new double[] {0.9, 0.88, 0.84},
            "kd/macro-influence-oneshot", new double[] {0.9, 0.87, 0.83},
            "graft/macro-influence", new double[] {0.9, 0.85, 0.82});

    @Test
    void ablationRowsFollowFuseGptsTableNine(@TempDir Path root) throws Exception {
        StudyResults.writeSpec(root, new StudySpec("tiny-bert", List.of("alpha"), HEALS, STRATEGIES, 1, 2, 4, 42, 100,
                100, 50, 64, 32, 32, "synthetic"));
        StudyResults.writeBaseline(root, new Baseline("alpha", "tiny-bert", 0.9, 0.5, 0.7, 1_000_000, 4.0, 4, 0.5,
                "synthetic"));
        RUNS.forEach((k, acc) -> {
            String[] p = k.split("/");
            int[] order = p[1].equals("macro-influence") ? new int[] {3, 2} : new int[] {3, 1};
            SyntheticStudy.writeRunWith(root, new CellKey("alpha", p[0], p[1], 0), acc, order, 4, 1_000_000,
                    100_000);
        });
        Path out = root.resolve("report");
        StudyReport.write(StudyResults.read(root), out);
        Document html = Jsoup.parse(out.resolve("report.html").toFile(), "UTF-8");
        Element table = html.getElementById("table-graft-ablation");
        assertNotNull(table, "the ablation table is in report.html");
        Elements rows = table.select("tbody tr");
        List<String> labels = rows.stream().map(r -> r.child(1).text()).toList();
        assertEquals(List.of("Removal only", "Static fusion (W + ½·W_p)", "Learnable fusion",
                "Learnable fusion + iterative", "Fine-tuning (CE), same layers", "Distillation (KD), same layers"), labels);
        assertEquals("3, 1", rows.get(2).child(4).text());
        assertEquals("3, 2", rows.get(3).child(4).text());
        assertEquals("0.850", rows.get(2).child(5).text());
        assertEquals("0.800", rows.get(2).child(6).text());
        assertEquals("0.500", rows.get(1).child(6).text());

        JsonNode json = StudyResults.JSON.readTree(out.resolve("summary.json").toFile());
        assertEquals(0.82, json.at("/pruneAndFuse/alpha/graft/macro-influence/accuracyStep2").asDouble(), 1e-12);
        assertEquals(0.55, json.at("/pruneAndFuse/alpha/none/macro-influence-oneshot/accuracyStep2").asDouble(),
                1e-12);
    }

    @Test
    void aStudyWithoutGraftingHasNoPruneAndFuseSection(@TempDir Path root) throws Exception {
        SyntheticStudy.write(root);
        Path out = root.resolve("report");
        StudyReport.write(StudyResults.read(root), out);
        Document html = Jsoup.parse(out.resolve("report.html").toFile(), "UTF-8");
        assertNull(html.getElementById("table-graft-ablation"));
        assertNull(html.getElementById("prune-and-fuse"));
    }
}
