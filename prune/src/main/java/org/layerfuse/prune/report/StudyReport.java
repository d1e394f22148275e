package org.layerfuse.prune.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.prune.study.StudyResults;

/**
 * The report of a study, finished or partial, recomputed from its results directory alone:
 * <pre>
 *   report.html            every table and figure; opens from the file system
 *   summary.json           every number of the HTML, full precision
 *   *.png                  the figures (Figs. 1–8 of the strategic-fusion paper)
 *   tables/*.csv, *.md     every table
 * </pre>
 * The folder is replaced as a whole (see {@link ReportFolder}).
 */
public final class StudyReport {

    /** Written into summary.json; marks a folder as a report that may be replaced. */
    public static final String GENERATOR = "layerfuse report";

    private StudyReport() {
    }

    /** The default report folder of a results directory. */
    public static Path defaultDirectory(Path resultsRoot) {
        return resultsRoot.resolve("report");
    }

    /** Writes the report of {@code results} into {@code outDir} (replacing an earlier report there). */
    public static ReportSummary write(StudyResults results, Path outDir) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        ReportInputs in = ReportInputs.of(results);
        String text = TextSummary.of(in);
        ReportFolder.replace(outDir, dir -> {
            ReportContent c = new ReportContent(dir);
            Map<String, StrategyStyle.Look> looks = StrategyStyle.of(in.strategies(), in.fusionStrategies());
            OverviewSection.add(in, c);
            CurvesSection.add(in, c, looks);
            MaxAccuracySection.add(in, c);
            RanksSection.add(in, c, looks);
            AccuracyChangeSection.add(in, c, looks);
            SizeEfficiencySection.add(in, c, looks);
            HealComparisonSection.add(in, c);
            PruneAndFuseSection.add(in, c);
            LayerOrderSection.add(in, c);
            FeatureImportanceSection.add(in, c);
            RandomizationSection.add(in, c);
            c.json().put("text", text);
            try {
                c.writeText("summary.json", StudyResults.JSON.writeValueAsString(c.json()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            c.writeText("report.html", HtmlReport.render(c, "LayerFuse report: " + in.spec().model() + " on "
                    + String.join(", ", in.datasets()), text));
        });
        Map<String, Map<String, List<String>>> best = new LinkedHashMap<>();
        for (String h : in.heals()) {
            Map<String, List<String>> byDataset = new LinkedHashMap<>();
            in.datasets().forEach(d -> byDataset.put(d, MaxAccuracySection.best(in, d, h)));
            best.put(h, byDataset);
        }
        return new ReportSummary(outDir, outDir.resolve("report.html"), outDir.resolve("summary.json"), in.missing(),
                best, text);
    }
}
