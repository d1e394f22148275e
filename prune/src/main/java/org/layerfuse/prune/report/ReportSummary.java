package org.layerfuse.prune.report;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link StudyReport#write} produced.
 *
 * @param directory the report folder
 * @param html      {@code report.html}
 * @param json      {@code summary.json}
 * @param missing   what the study asked for but the results directory lacks
 * @param best      healing mode → dataset → the strategies with the best max accuracy
 * @param text      the plain-text summary (also at the top of the HTML)
 */
public record ReportSummary(Path directory, Path html, Path json, List<MissingItem> missing,
                            Map<String, Map<String, List<String>>> best, String text) {
}
