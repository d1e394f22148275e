package org.layerfuse.prune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerfuse.prune.report.ReportExpectations.cell;
import static org.layerfuse.prune.report.ReportExpectations.runMax;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.cli.LayerFuseCli;
import org.layerfuse.prune.loop.RunDirectory;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudySpec;
import picocli.CommandLine;

/**
 * A study directory with holes: beta's baseline.json missing, one cell never started, one
 * failed before its first step, one stopped after one removal, one failed after two. The
 * report shows what is there and lists the rest.
 */
class PartialStudyReportTest {

    @TempDir
    Path tmp;

    static final String NEVER_STARTED = "alpha/ce/weight-norm/0";
    static final String FAILED = "alpha/kd/random/1";
    static final String STOPPED = "beta/ce/random-forest/0";
    static final String FAILED_LATER = "beta/kd/linear-regression/0";

    /** The synthetic spec with a third dataset, gamma, of which nothing was recorded. */
    static StudySpec specWithGamma() {
        StudySpec s = SyntheticStudy.spec();
        return new StudySpec(s.model(), List.of("alpha", "beta", "gamma"), s.heals(), s.strategies(), s.randomRepeats(),
                s.layersToRemove(), s.numLayers(), s.seed(), s.trainSize(), s.healSize(), s.validationSize(), s.testSize(),
                s.signalSize(), s.maxLength(), s.trainer());
    }

    Path writePartialStudy() {
        Path root = tmp.resolve("study");
        StudyResults.writeSpec(root, specWithGamma());
        StudyResults.writeBaseline(root, new org.layerfuse.prune.study.Baseline("alpha", "tiny-bert", 0.80, 0.5, 0.7,
                SyntheticStudy.FULL_PARAMETERS, 4.0, SyntheticStudy.LAYERS, 0.5, "synthetic"));
        SyntheticStudy.RUNS.forEach((key, run) -> {
            CellKey k = SyntheticStudy.cellKey(key);
            switch (key) {
                case NEVER_STARTED -> { }
                case FAILED -> RunDirectory.writeText(StudyResults.errorFile(k.directory(root)),
                        "java.lang.IllegalStateException: out of memory in the healer\n\tat somewhere\n");
                case STOPPED -> SyntheticStudy.writeRun(root, k, run, 1);
                case FAILED_LATER -> {
                    SyntheticStudy.writeRun(root, k, run, 2);
                    RunDirectory.writeText(StudyResults.errorFile(k.directory(root)),
                            "java.lang.RuntimeException: disk full\n");
                }
                default -> SyntheticStudy.writeRun(root, k, run, SyntheticStudy.REMOVE);
            }
        });
        return root;
    }

    @Test
    void reportsWhatIsThereAndListsWhatIsMissing() throws IOException {
        Path root = writePartialStudy();
        StringWriter stdout = new StringWriter();
        CommandLine cli = LayerFuseCli.commandLine();
        cli.setOut(new PrintWriter(stdout));
        StringWriter stderr = new StringWriter();
        cli.setErr(new PrintWriter(stderr));
        assertEquals(0, cli.execute("report", root.toString()), stderr.toString());
        Path out = root.resolve("report");
        JsonNode json = StudyResults.JSON.readTree(out.resolve("summary.json").toFile());
        Document html = Jsoup.parse(out.resolve("report.html").toFile(), "UTF-8");

        List<String> kinds = new ArrayList<>();
        List<String> whats = new ArrayList<>();
        for (JsonNode m : json.get("missing")) {
            kinds.add(m.get("kind").asText());
            whats.add(m.get("what").asText());
        }
        int gammaCells = 2 * (3 + 2 * SyntheticStudy.REPEATS);
        assertEquals(5 + gammaCells + 1, kinds.size());
        assertEquals(List.of("cell-missing", "cell-failed", "cell-incomplete", "cell-incomplete"), kinds.subList(0, 4));
        assertEquals(List.of("alpha/ce/weight-norm/rep-0", "alpha/kd/random/rep-1", "beta/ce/random-forest/rep-0",
                "beta/kd/linear-regression/rep-0"), whats.subList(0, 4));
        assertTrue(whats.subList(4, 4 + gammaCells).stream().allMatch(w -> w.startsWith("gamma/")));
        assertEquals(List.of("baseline-missing", "baseline-missing"), kinds.subList(kinds.size() - 2, kinds.size()));
        assertEquals(List.of("beta", "gamma"), whats.subList(whats.size() - 2, whats.size()));
        JsonNode missing = json.get("missing");
        assertTrue(missing.get(1).get("detail").asText().contains("out of memory in the healer"));
        assertEquals("1 of 3 layers removed", missing.get(2).get("detail").asText());
        assertTrue(missing.get(3).get("detail").asText().startsWith("2 of 3 layers removed; last attempt failed: "
                + "java.lang.RuntimeException: disk full"), missing.get(3).toString());
        assertTrue(missing.get(kinds.size() - 2).get("detail").asText().contains("beta/baseline/baseline.json not "
                + "found"));
        assertTrue(missing.get(kinds.size() - 1).get("detail").asText().contains("no run of gamma recorded a step"));

        Element table = html.getElementById("table-missing");
        assertNotNull(table);
        for (String w : List.of("alpha/ce/weight-norm/rep-0", "alpha/kd/random/rep-1", "beta/ce/random-forest/rep-0",
                "beta/kd/linear-regression/rep-0", "gamma/kd/random10/rep-2", "beta", "gamma")) {
            assertFalse(table.select("td:containsOwn(" + w + ")").isEmpty(), w + " listed in the HTML");
            if (!w.startsWith("gamma/")) {
                assertTrue(stdout.toString().contains(w), w + " listed on stdout");
            }
        }
        // on stdout a dataset and healing mode with nothing recorded is one line
        assertTrue(stdout.toString().contains("cell-missing gamma/kd: all 9 cells have no step recorded"),
                stdout.toString());
        assertTrue(html.getElementById("missing").text().contains("Missing or incomplete results (" + kinds.size()
                + ")"));
        assertEquals("—", cell(html, "table-max-accuracy-kd", "Random-Forest", "gamma").text());
        assertEquals("—", cell(html, "table-baselines", "gamma", "Accuracy").text());

        // beta's baseline comes from step 0 of its first recorded run
        assertTrue(json.at("/baselines/beta/source").asText().startsWith("step 0 of beta/ce/"),
                json.at("/baselines/beta").toString());
        assertEquals(0.60, json.at("/baselines/beta/accuracy").asDouble(), 0.0);
        // what is there is reported: the stopped run with its one pruned step, the failed random repeat left out
        assertEquals(0.58, json.at("/heals/ce/maxAccuracy/beta/strategies/random-forest/value").asDouble(), 0.0);
        double kdRandom = (runMax(ReportExpectations.accuracy("alpha", "kd", "random", 0))
                + runMax(ReportExpectations.accuracy("alpha", "kd", "random", 2))) / 2;
        assertEquals(kdRandom, json.at("/heals/kd/maxAccuracy/alpha/strategies/random/value").asDouble(), 1e-12);
        assertEquals(2, json.at("/heals/kd/maxAccuracy/alpha/strategies/random/repeats").size());
        assertTrue(json.at("/heals/ce/maxAccuracy/alpha/strategies/weight-norm").isMissingNode());
        assertEquals("—", cell(html, "table-max-accuracy-ce", "Weight-Norm", "alpha").text());
        assertEquals("0.600", cell(html, "table-max-accuracy-ce", "Baseline (unpruned)", "beta").text());
        // an incomplete run counts only the layers it removed: random-forest (ce) removed 3, 2, 4 on alpha (complete)
        // and 2 on beta before stopping, so layer 2 averages steps 2 and 1, layer 3 is alpha's step 1 alone
        JsonNode order = json.at("/heals/ce/layerOrder/strategies/random-forest/meanStep");
        assertEquals(1.5, order.get(2).asDouble(), 1e-12);
        assertEquals(1.0, order.get(3).asDouble(), 1e-12);
        assertEquals(4.0, order.get(0).asDouble(), 1e-12);
        assertEquals(1, json.at("/heals/ce/layerOrder/strategies/random-forest/runs/0").asInt());

        for (JsonNode f : json.get("figures")) {
            assertNotNull(ImageIO.read(out.resolve(f.get("file").asText()).toFile()), f.toString());
        }
        assertTrue(stdout.toString().contains(kinds.size() + " item(s) missing or incomplete"), stdout.toString());
        assertTrue(stdout.toString().contains("[ce] gamma: no pruned result yet"), stdout.toString());
    }

    @Test
    void aStudyWithNothingRecordedYetStillGetsAReport() throws IOException {
        Path root = tmp.resolve("fresh");
        StudyResults.writeSpec(root, specWithGamma());
        ReportSummary s = StudyReport.write(StudyResults.read(root), root.resolve("report"));
        JsonNode json = StudyResults.JSON.readTree(s.json().toFile());
        assertEquals(3 * 2 * (3 + 2 * SyntheticStudy.REPEATS) + 3, json.get("missing").size());
        assertTrue(json.path("figures").isEmpty(), "no figure without data");
        Document html = Jsoup.parse(s.html().toFile(), "UTF-8");
        assertTrue(html.getElementById("curves").text().contains("no run has a pruned step yet"));
        assertTrue(s.text().contains("0 of 54 cells complete"), s.text());
    }
}
