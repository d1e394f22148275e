package org.layerfuse.prune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerfuse.prune.report.ReportExpectations.DISPLAY;
import static org.layerfuse.prune.report.ReportExpectations.accuracy;
import static org.layerfuse.prune.report.ReportExpectations.assertTest;
import static org.layerfuse.prune.report.ReportExpectations.bestStep;
import static org.layerfuse.prune.report.ReportExpectations.cell;
import static org.layerfuse.prune.report.ReportExpectations.expectedGain;
import static org.layerfuse.prune.report.ReportExpectations.expectedMax;
import static org.layerfuse.prune.report.ReportExpectations.fmt;
import static org.layerfuse.prune.report.ReportExpectations.mean;
import static org.layerfuse.prune.report.ReportExpectations.meanAt;
import static org.layerfuse.prune.report.ReportExpectations.repeats;
import static org.layerfuse.prune.report.ReportExpectations.runMax;
import static org.layerfuse.prune.report.ReportExpectations.sampleStd;
import static org.layerfuse.prune.report.ReportExpectations.signedRank;
import static org.layerfuse.prune.report.ReportExpectations.sizeGb;
import static org.layerfuse.prune.report.SyntheticStudy.BASELINE;
import static org.layerfuse.prune.report.SyntheticStudy.DATASETS;
import static org.layerfuse.prune.report.SyntheticStudy.HEALS;
import static org.layerfuse.prune.report.SyntheticStudy.STRATEGIES;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.cli.LayerFuseCli;
import org.layerfuse.prune.signals.Signal;
import org.layerfuse.prune.study.StudyResults;
import picocli.CommandLine;

/** The report of {@link SyntheticStudy}, every number checked against {@link ReportExpectations}. */
class StudyReportTest {

    @TempDir
    static Path tmp;
    static Path root;
    static Path out;
    static ReportSummary summary;
    static JsonNode json;
    static Document html;

    @BeforeAll
    static void writeReport() throws IOException {
        root = tmp.resolve("study");
        SyntheticStudy.write(root);
        out = root.resolve("report");
        summary = StudyReport.write(StudyResults.read(root), out);
        json = StudyResults.JSON.readTree(out.resolve("summary.json").toFile());
        html = Jsoup.parse(out.resolve("report.html").toFile(), "UTF-8");
    }

    static JsonNode at(String pointer) {
        JsonNode n = json.at(pointer);
        assertFalse(n.isMissingNode(), pointer + " is missing from summary.json");
        return n;
    }

    @Test
    void maxAccuracyTableHasTheBaselineRowFirstAndTheBestInBold() throws IOException {
        for (String h : HEALS) {
            Element table = html.getElementById("table-max-accuracy-" + h);
            assertNotNull(table);
            assertEquals("Baseline (unpruned)", table.select("tbody tr").first().child(0).text());
            for (String d : DATASETS) {
                assertEquals(fmt("%.3f", BASELINE.get(d)), cell(html, "table-max-accuracy-" + h, "Baseline (unpruned)",
                        d).text());
                double best = STRATEGIES.stream().mapToDouble(s -> expectedMax(d, h, s)).max().orElseThrow();
                List<String> bestStrategies = new ArrayList<>();
                for (String s : STRATEGIES) {
                    double expected = expectedMax(d, h, s);
                    String p = "/heals/" + h + "/maxAccuracy/" + d + "/strategies/" + s;
                    assertEquals(expected, at(p + "/value").asDouble(), 1e-12, p);
                    assertEquals(repeats(s), at(p + "/repeats").size());
                    Element td = cell(html, "table-max-accuracy-" + h, DISPLAY.get(s), d);
                    assertEquals(fmt("%.3f", expected), td.text(), p);
                    boolean isBest = expected >= best - 1e-12;
                    assertEquals(isBest, !td.select("b").isEmpty(), p + " bold");
                    if (isBest) {
                        bestStrategies.add(s);
                    }
                }
                List<String> listed = new ArrayList<>();
                at("/heals/" + h + "/maxAccuracy/" + d + "/best").forEach(n -> listed.add(n.asText()));
                assertEquals(bestStrategies, listed);
            }
        }
        // by hand: Random on alpha/ce has repeat maxima 0.74, 0.76, 0.73; beta/ce ties the fusions at 0.59
        assertEquals((0.74 + 0.76 + 0.73) / 3, at("/heals/ce/maxAccuracy/alpha/strategies/random/value").asDouble(),
                1e-12);
        assertEquals(List.of("linear-regression", "random-forest"), summary.best().get("ce").get("beta"));
        assertEquals(List.of("random-forest"), summary.best().get("kd").get("alpha"));
        // the best step is the latest one reaching the max: alpha/kd/linear-regression reaches 0.81 at steps 1 and 2
        assertEquals(2, at("/heals/kd/maxAccuracy/alpha/strategies/linear-regression/bestSteps/0").asInt());

        List<String> csv = Files.readAllLines(out.resolve("tables/max-accuracy-ce.csv"));
        assertEquals("Strategy,alpha,beta", csv.get(0));
        assertTrue(csv.get(1).startsWith("Baseline (unpruned),0.8,0.6"), csv.get(1));
        String[] rf = csv.stream().filter(l -> l.startsWith("Random-Forest,")).findFirst().orElseThrow().split(",");
        assertEquals(expectedMax("alpha", "ce", "random-forest"), Double.parseDouble(rf[1]), 1e-15);
        assertEquals(expectedMax("beta", "ce", "random-forest"), Double.parseDouble(rf[2]), 1e-15);
        String md = Files.readString(out.resolve("tables/max-accuracy-ce.md"));
        assertTrue(md.contains("| Random-Forest | **0.810** | **0.590** |"), md);
        assertTrue(md.contains("| Linear-Regression | 0.790 | **0.590** |"), md);
    }

    @Test
    void ranksGiveTheHighestAccuracyRankNAndTiesTheirAverage() {
        for (String h : HEALS) {
            double[] sum = new double[STRATEGIES.size()];
            for (String d : DATASETS) {
                for (int i = 0; i < STRATEGIES.size(); i++) {
                    double v = expectedMax(d, h, STRATEGIES.get(i));
                    int less = 0;
                    int equal = 0;
                    for (String other : STRATEGIES) {
                        double w = expectedMax(d, h, other);
                        less += w < v ? 1 : 0;
                        equal += w == v ? 1 : 0;
                    }
                    double rank = less + (equal + 1) / 2.0;
                    sum[i] += rank;
                    String p = "/heals/" + h + "/ranks/byDataset/" + d + "/" + STRATEGIES.get(i);
                    assertEquals(rank, at(p).asDouble(), 1e-12, p);
                    assertEquals(fmt("%.2f", rank), cell(html, "table-ranks-" + h, DISPLAY.get(STRATEGIES.get(i)), d)
                            .text());
                }
            }
            for (int i = 0; i < STRATEGIES.size(); i++) {
                String p = "/heals/" + h + "/ranks/mean/" + STRATEGIES.get(i) + "/mean";
                assertEquals(sum[i] / DATASETS.size(), at(p).asDouble(), 1e-12, p);
            }
        }
        assertEquals(4.5, at("/heals/ce/ranks/byDataset/beta/linear-regression").asDouble(), 0.0);
        assertEquals(4.5, at("/heals/ce/ranks/byDataset/beta/random-forest").asDouble(), 0.0);
        assertEquals(4.75, at("/heals/ce/ranks/mean/random-forest/mean").asDouble(), 1e-12);
    }

    @Test
    void accuracyChangeAndItsWilcoxonTests() {
        for (String h : HEALS) {
            for (String s : STRATEGIES) {
                double[] change = new double[DATASETS.size()];
                double[] randomChange = new double[DATASETS.size()];
                for (int j = 0; j < change.length; j++) {
                    String d = DATASETS.get(j);
                    change[j] = 100 * (expectedMax(d, h, s) - BASELINE.get(d)) / BASELINE.get(d);
                    randomChange[j] = 100 * (expectedMax(d, h, "random") - BASELINE.get(d)) / BASELINE.get(d);
                    assertEquals(change[j], at("/heals/" + h + "/accuracyChange/byDataset/" + d + "/" + s).asDouble(),
                            1e-9);
                    assertEquals(fmt("%+.2f", change[j]), cell(html, "table-accuracy-change-" + h, DISPLAY.get(s), d)
                            .text());
                }
                String mp = "/heals/" + h + "/accuracyChange/mean/" + s;
                assertEquals(mean(change), at(mp + "/mean").asDouble(), 1e-9);
                assertEquals(sampleStd(change) / Math.sqrt(change.length), at(mp + "/se").asDouble(), 1e-9);
                String tp = "/heals/" + h + "/accuracyChange/tests/" + s;
                assertTest(at(tp + "/vsZero"), signedRank(change, new double[change.length]), tp + "/vsZero");
                // pairs over datasets and steps: the strategy's (mean) accuracy at step k vs the baseline / random's mean
                List<double[]> base = new ArrayList<>();
                List<double[]> rnd = new ArrayList<>();
                for (String d : DATASETS) {
                    for (int k = 1; k <= SyntheticStudy.REMOVE; k++) {
                        base.add(new double[] {meanAt(d, h, s, k), BASELINE.get(d)});
                        rnd.add(new double[] {meanAt(d, h, s, k), meanAt(d, h, "random", k)});
                    }
                }
                assertTest(at(tp + "/stepsVsBaseline"), signedRank(column(base, 0), column(base, 1)),
                        tp + "/stepsVsBaseline");
                if (s.equals("random")) {
                    assertTrue(json.at(tp + "/vsRandom").isMissingNode());
                } else {
                    assertTest(at(tp + "/vsRandom"), signedRank(change, randomChange), tp + "/vsRandom");
                    assertTest(at(tp + "/stepsVsRandom"), signedRank(column(rnd, 0), column(rnd, 1)),
                            tp + "/stepsVsRandom");
                }
            }
        }
        // by hand: weight-norm lost accuracy at every step on both datasets (6 pairs, all negative):
        // W+ = 0, W- = 21, exact two-sided p = 2 / 2^6
        JsonNode wn = at("/heals/ce/accuracyChange/tests/weight-norm/stepsVsBaseline");
        assertEquals(0.0, wn.get("wPlus").asDouble(), 0.0);
        assertEquals(21.0, wn.get("wMinus").asDouble(), 0.0);
        assertEquals(2.0 / 64, wn.get("p").asDouble(), 1e-15);
        assertEquals("exact", wn.get("method").asText());
        assertTrue(at("/heals/ce/accuracyChange/tests/weight-norm/vsZero/note").asText().contains("too small"));
    }

    static double[] column(List<double[]> pairs, int c) {
        return pairs.stream().mapToDouble(p -> p[c]).toArray();
    }

    @Test
    void accuracyToSizeRatiosUseTheRecordedParameterCounts() {
        for (String h : HEALS) {
            for (String s : STRATEGIES) {
                double[] gain = new double[DATASETS.size()];
                for (int j = 0; j < gain.length; j++) {
                    String d = DATASETS.get(j);
                    gain[j] = expectedGain(d, h, s);
                    String p = "/heals/" + h + "/sizeEfficiency/byDataset/" + d + "/" + s;
                    assertEquals(gain[j], at(p + "/bestRatioGainPercent").asDouble(), 1e-9, p);
                    double[] maxRatio = new double[repeats(s)];
                    for (int r = 0; r < maxRatio.length; r++) {
                        double[] a = accuracy(d, h, s, r);
                        maxRatio[r] = Double.NEGATIVE_INFINITY;
                        for (int k = 1; k < a.length; k++) {
                            maxRatio[r] = Math.max(maxRatio[r], a[k] / sizeGb(k));
                        }
                    }
                    assertEquals(mean(maxRatio), at(p + "/maxRatio").asDouble(), 1e-9, p);
                    assertEquals(fmt("%+.2f", gain[j]), cell(html, "table-size-efficiency-" + h, DISPLAY.get(s),
                            d + " gain %").text());
                }
                assertEquals(mean(gain), at("/heals/" + h + "/sizeEfficiency/mean/" + s + "/gainPercent").asDouble(),
                        1e-9);
                if (!s.equals("random")) {
                    double[] rg = DATASETS.stream().mapToDouble(d -> expectedGain(d, h, "random")).toArray();
                    assertTest(at("/heals/" + h + "/sizeEfficiency/tests/" + s + "/vsRandom"), signedRank(gain, rg),
                            s + " ratio vs random");
                }
            }
        }
        // by hand: alpha/kd/random-forest peaks at 0.83 after 2 removals, 800,000 parameters = 0.0032 GB:
        // 259.375 per GB against the baseline's 0.80 / 0.004 = 200, a gain of 29.6875 %
        assertEquals(29.6875, at("/heals/kd/sizeEfficiency/byDataset/alpha/random-forest/bestRatioGainPercent")
                .asDouble(), 1e-9);
        assertEquals(0.80 / 0.0028, at("/heals/kd/sizeEfficiency/byDataset/alpha/random-forest/maxRatio").asDouble(),
                1e-9);
    }

    @Test
    void healComparisonComputesThePapersRatioGainForTheRandomForest() {
        assertEquals("random-forest", at("/healComparison/strategy").asText());
        for (String h : HEALS) {
            double[] g = new double[DATASETS.size()];
            for (int j = 0; j < g.length; j++) {
                String d = DATASETS.get(j);
                double[] a = accuracy(d, h, "random-forest", 0);
                int k = bestStep(a);
                double ratio = a[k] / sizeGb(k);
                g[j] = 100 * (ratio / (BASELINE.get(d) / 0.004) - 1);
                String p = "/healComparison/byDataset/" + d + "/" + h;
                assertEquals(runMax(a), at(p + "/maxAccuracy").asDouble(), 1e-12);
                assertEquals(k, at(p + "/layersRemoved").asDouble(), 0.0);
                assertEquals(ratio / (BASELINE.get(d) / 0.004), at(p + "/ratioFactor").asDouble(), 1e-12);
                assertEquals(g[j], at(p + "/ratioGainPercent").asDouble(), 1e-9);
            }
            String p = "/healComparison/ratioGainPercent/" + h;
            assertEquals(mean(g), at(p + "/mean").asDouble(), 1e-9);
            assertEquals(sampleStd(g), at(p + "/std").asDouble(), 1e-9);
            assertEquals(Math.min(g[0], g[1]), at(p + "/min").asDouble(), 1e-9);
            assertEquals(Math.max(g[0], g[1]), at(p + "/max").asDouble(), 1e-9);
            assertEquals(2, at(p + "/datasets").asInt());
        }
        assertEquals(0.83 - 0.81, at("/healComparison/byDataset/alpha/kdMinusCeAccuracy").asDouble(), 1e-12);
        assertEquals(18.84, at("/healComparison/paper/mean").asDouble(), 0.0);
        assertTrue(summary.text().contains("[kd] mean +22.25 %"), summary.text());
    }

    @Test
    void layerOrderAveragesTheRemovalStepOverDatasetsAndRepeats() {
        int kept = SyntheticStudy.REMOVE + 1;
        for (String h : HEALS) {
            for (String s : STRATEGIES) {
                double[] sum = new double[SyntheticStudy.LAYERS];
                int[] removedIn = new int[SyntheticStudy.LAYERS];
                int runs = 0;
                for (String d : DATASETS) {
                    for (int r = 0; r < repeats(s); r++) {
                        runs++;
                        int[] order = SyntheticStudy.RUNS.get(d + "/" + h + "/" + s + "/" + r).removed();
                        for (int l = 0; l < SyntheticStudy.LAYERS; l++) {
                            int step = kept;
                            for (int k = 0; k < order.length; k++) {
                                if (order[k] == l) {
                                    step = k + 1;
                                    removedIn[l]++;
                                }
                            }
                            sum[l] += step;
                        }
                    }
                }
                String p = "/heals/" + h + "/layerOrder/strategies/" + s;
                for (int l = 0; l < SyntheticStudy.LAYERS; l++) {
                    assertEquals(sum[l] / runs, at(p + "/meanStep/" + l).asDouble(), 1e-12, p + " layer " + l);
                    assertEquals(removedIn[l] == 0, at(p + "/kept/" + l).asBoolean(), p + " kept " + l);
                }
            }
        }
        // by hand: weight-norm (ce) removes 0, 5, 1 on alpha and 0, 5, 4 on beta
        JsonNode wn = at("/heals/ce/layerOrder/strategies/weight-norm/meanStep");
        double[] expected = {1, 3.5, 4, 4, 3.5, 2};
        for (int l = 0; l < 6; l++) {
            assertEquals(expected[l], wn.get(l).asDouble(), 1e-12);
        }
        assertTrue(at("/heals/ce/layerOrder/strategies/weight-norm/kept/2").asBoolean());
        Element l2 = cell(html, "table-layer-order-ce", "Weight-Norm", "L2");
        assertEquals("4.00", l2.text());
        assertFalse(l2.select("b").isEmpty(), "kept layers are bold");
    }

    @Test
    void featureImportanceIsRescaledByTheLargestMagnitudePerStep() {
        Signal[] signals = Signal.values();
        for (String h : HEALS) {
            for (String s : List.of("linear-regression", "random-forest")) {
                List<double[]> units = new ArrayList<>();
                for (String d : DATASETS) {
                    for (int k = 1; k <= SyntheticStudy.REMOVE; k++) {
                        double[] v = SyntheticStudy.importance(d, s, k);
                        double max = 0;
                        for (double x : v) {
                            max = Math.max(max, Math.abs(x));
                        }
                        double[] u = new double[v.length];
                        for (int c = 0; c < v.length; c++) {
                            u[c] = v[c] / max;
                        }
                        units.add(u);
                    }
                }
                String p = "/heals/" + h + "/featureImportance/" + s;
                assertEquals(units.size(), at(p + "/steps").asInt());
                assertEquals(s.equals("linear-regression") ? "vsZero" : "vsStepMedian", at(p + "/test").asText());
                for (int c = 0; c < signals.length; c++) {
                    double[] col = column(units, c);
                    String sp = p + "/signals/" + signals[c].cliName();
                    assertEquals(mean(col), at(sp + "/mean").asDouble(), 1e-12, sp);
                    assertEquals(sampleStd(col) / Math.sqrt(col.length), at(sp + "/se").asDouble(), 1e-12, sp);
                    double[] ref = new double[col.length];
                    if (s.equals("random-forest")) {
                        for (int i = 0; i < ref.length; i++) {
                            double[] sorted = units.get(i).clone();
                            java.util.Arrays.sort(sorted);
                            ref[i] = (sorted[5] + sorted[6]) / 2;
                        }
                    }
                    assertTest(at(sp + "/test"), signedRank(col, ref), sp);
                    assertTrue(Math.abs(at(sp + "/mean").asDouble()) <= 1);
                }
            }
        }
    }

    @Test
    void randomizationTestsCompareFusionsWithRandomOrders() {
        for (String h : HEALS) {
            for (String f : List.of("linear-regression", "random-forest")) {
                double[] fusionMax = new double[DATASETS.size()];
                for (String r : List.of("random", "random10")) {
                    double[] randomMean = new double[DATASETS.size()];
                    for (int j = 0; j < DATASETS.size(); j++) {
                        String d = DATASETS.get(j);
                        fusionMax[j] = runMax(accuracy(d, h, f, 0));
                        double[] maxima = new double[SyntheticStudy.REPEATS];
                        for (int rep = 0; rep < maxima.length; rep++) {
                            maxima[rep] = runMax(accuracy(d, h, r, rep));
                        }
                        randomMean[j] = mean(maxima);
                        String p = "/heals/" + h + "/randomization/byDataset/" + d;
                        assertEquals(fusionMax[j], at(p + "/fusion/" + f).asDouble(), 1e-12);
                        assertEquals(randomMean[j], at(p + "/random/" + r + "/mean").asDouble(), 1e-12);
                        assertEquals(sampleStd(maxima), at(p + "/random/" + r + "/std").asDouble(), 1e-12);
                        double[] fx = {fusionMax[j], fusionMax[j], fusionMax[j]};
                        assertTest(at(p + "/tests/" + f + " vs " + r), signedRank(fx, maxima), p + " " + f + " " + r);
                    }
                    assertTest(at("/heals/" + h + "/randomization/acrossDatasets/" + f + " vs " + r),
                            signedRank(fusionMax, randomMean), h + " across " + f + " " + r);
                }
            }
        }
        assertEquals(fmt("%.3f", (0.75 + 0.77 + 0.74) / 3), cell(html, "table-randomization-ce", "alpha",
                "Random10 mean").text());
    }

    @Test
    void everyNumberInTheHtmlIsTheOneInSummaryJson() {
        List<Element> cells = html.select("td[data-json]");
        assertTrue(cells.size() > 500, "numeric cells: " + cells.size());
        for (Element td : cells) {
            JsonNode n = at(td.attr("data-json"));
            assertTrue(n.isNumber(), td.attr("data-json") + " is " + n);
            String text = td.text();
            double shown = Double.parseDouble(text);
            assertEquals(n.asDouble(), shown, tolerance(text) * (1 + 1e-9), td.attr("data-json") + " shows " + text);
        }
        Set<String> tableIds = new HashSet<>();
        html.select("table.data").forEach(t -> tableIds.add(t.id()));
        for (JsonNode t : at("/tables")) {
            String base = t.get("csv").asText().replace("tables/", "").replace(".csv", "");
            assertTrue(tableIds.contains("table-" + base), "table " + base + " in the HTML");
            assertTrue(Files.isRegularFile(out.resolve(t.get("csv").asText())));
            assertTrue(Files.isRegularFile(out.resolve(t.get("markdown").asText())));
        }
        assertEquals(at("/tables").size(), tableIds.size());
        assertTrue(at("/text").asText().equals(html.getElementById("text-summary").wholeText()));
    }

    /** Half a unit of the last digit shown. */
    static double tolerance(String text) {
        String mantissa = text.replace("+", "").replace("-", "");
        int exp = 0;
        int e = mantissa.indexOf('e');
        if (e >= 0) {
            exp = Integer.parseInt(mantissa.substring(e + 1));
            mantissa = mantissa.substring(0, e);
        }
        int dot = mantissa.indexOf('.');
        int decimals = dot < 0 ? 0 : mantissa.length() - dot - 1;
        return 0.5 * Math.pow(10, exp - decimals);
    }

    @Test
    void everyFigureIsAReadablePngOfTheStatedSizeAndNothingIsFetchedFromTheNetwork() throws IOException {
        Set<String> ids = new HashSet<>();
        for (JsonNode f : at("/figures")) {
            String file = f.get("file").asText();
            ids.add(f.get("id").asText());
            BufferedImage img = ImageIO.read(out.resolve(file).toFile());
            assertNotNull(img, file + " decodes");
            assertEquals(f.get("width").asInt(), img.getWidth(), file);
            assertEquals(f.get("height").asInt(), img.getHeight(), file);
            Element tag = html.selectFirst("img[src=" + file + "]");
            assertNotNull(tag, file + " shown in the HTML");
            assertEquals(Integer.toString(img.getWidth()), tag.attr("width"));
            assertEquals(Integer.toString(img.getHeight()), tag.attr("height"));
            if (file.startsWith("accuracy-") && !file.startsWith("accuracy-change")) {
                assertEquals(AccuracyCurveChart.WIDTH, img.getWidth());
                assertEquals(AccuracyCurveChart.HEIGHT, img.getHeight());
            } else if (!file.startsWith("layer-order")) {
                assertEquals(BarCharts.WIDTH, img.getWidth(), file);
                assertEquals(BarCharts.HEIGHT, img.getHeight(), file);
            } else {
                assertTrue(img.getWidth() >= 700 && img.getHeight() >= 5 * 38, file + " holds 5 rows");
            }
        }
        List<String> expected = new ArrayList<>(List.of("heal-comparison"));
        for (String h : HEALS) {
            for (String d : DATASETS) {
                expected.add("accuracy-" + d + "-" + h);
            }
            for (String f : List.of("ranks", "accuracy-change", "size-efficiency", "layer-order", "feature-importance",
                    "randomization")) {
                expected.add(f + "-" + h);
            }
        }
        assertEquals(Set.copyOf(expected), ids);
        try (Stream<Path> pngs = Files.list(out)) {
            assertEquals(expected.size(), pngs.filter(p -> p.toString().endsWith(".png")).count());
        }
        assertTrue(html.select("script, link, iframe, object, embed").isEmpty());
        for (Element e : html.select("[src], [href]")) {
            String ref = e.hasAttr("src") ? e.attr("src") : e.attr("href");
            if (ref.startsWith("#")) {
                assertNotNull(html.getElementById(ref.substring(1)), ref);
            } else {
                assertFalse(ref.contains(":") || ref.startsWith("/"), "non-relative reference " + ref);
                assertTrue(Files.isRegularFile(out.resolve(ref)), ref + " exists");
            }
        }
        for (String section : List.of("overview", "missing", "curves", "max-accuracy", "ranks", "accuracy-change",
                "size-efficiency", "heal-comparison", "layer-order", "feature-importance", "randomization")) {
            assertNotNull(html.getElementById(section), section);
        }
    }

    @Test
    void rerunningReplacesTheFolderAndForeignFoldersAreLeftAlone() throws IOException {
        Path again = tmp.resolve("again");
        StudyReport.write(StudyResults.read(root), again);
        Files.writeString(again.resolve("stale.png"), "from an older report");
        String before = Files.readString(again.resolve("summary.json"));
        StudyReport.write(StudyResults.read(root), again);
        assertFalse(Files.exists(again.resolve("stale.png")));
        assertEquals(before, Files.readString(again.resolve("summary.json")));
        try (Stream<Path> siblings = Files.list(tmp)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith(".again")), "no temporary left");
        }

        Path foreign = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(foreign.resolve("todo.txt"), "keep me");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StudyReport.write(StudyResults.read(root), foreign));
        assertTrue(e.getMessage().contains("not a LayerFuse report folder"), e.getMessage());
        assertEquals("keep me", Files.readString(foreign.resolve("todo.txt")));
    }

    @Test
    void reportCommandWritesTheReportAndPrintsTheSummary() throws IOException {
        Path target = tmp.resolve("cli-report");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cli = LayerFuseCli.commandLine();
        cli.setOut(new PrintWriter(stdout));
        cli.setErr(new PrintWriter(stderr));
        int code = cli.execute("report", root.toString(), "--out", target.toString());
        assertEquals(0, code, stderr.toString());
        assertTrue(stdout.toString().contains("[ce] alpha: Random-Forest 0.810 (baseline 0.800)"), stdout.toString());
        assertTrue(stdout.toString().contains("KD vs CE"), stdout.toString());
        assertTrue(stdout.toString().contains("Report: " + target.toAbsolutePath().resolve("report.html")));
        assertTrue(Files.isRegularFile(target.resolve("report.html")));

        Path empty = Files.createDirectories(tmp.resolve("not-a-study"));
        StringWriter err = new StringWriter();
        CommandLine cli2 = LayerFuseCli.commandLine();
        cli2.setErr(new PrintWriter(err));
        cli2.setOut(new PrintWriter(new StringWriter()));
        assertEquals(2, cli2.execute("report", empty.toString()));
        assertTrue(err.toString().contains("not a LayerFuse study directory") && err.toString().contains("study.json"),
                err.toString());
        assertFalse(Files.exists(empty.resolve("report")));
        assertEquals(2, cli2.execute("report", new File(tmp.toFile(), "nowhere").toString()));
    }
}
