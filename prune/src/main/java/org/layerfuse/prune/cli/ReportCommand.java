package org.layerfuse.prune.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.layerfuse.prune.loop.OutputLock;
import org.layerfuse.prune.report.ReportSummary;
import org.layerfuse.prune.report.StudyReport;
import org.layerfuse.prune.study.StudyResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code layerfuse report}: the report of a finished or partial study, from its results directory alone. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write the report of a study results directory (finished or partial): report.html, PNG "
                + "figures, CSV/Markdown tables and summary.json. Nothing is recomputed; missing or incomplete cells "
                + "are listed. The report folder is replaced as a whole.")
public final class ReportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<results-dir>", description = "A study results directory (holds study.json).")
    Path results;

    @Option(names = "--out", paramLabel = "<dir>", description = "Report folder (default: <results-dir>/report).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isDirectory(results)) {
            err.println("layerfuse report: " + results + " is not a directory; expected a study results directory "
                    + "holding study.json");
            return 2;
        }
        // The default report folder lies inside the study's directory: refuse while a study runs there (it writes
        // the same folder when it ends). A report into another --out only reads the study, finished or not.
        try (OutputLock lock = out == null ? OutputLock.acquire(results, "layerfuse report") : null) {
            StudyResults study = StudyResults.read(results);
            ReportSummary summary = StudyReport.write(study, out != null ? out : StudyReport.defaultDirectory(results));
            PrintWriter o = spec.commandLine().getOut();
            o.print(summary.text());
            o.println("Report: " + summary.html().toAbsolutePath());
            o.flush();
            return 0;
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            err.println("layerfuse report: " + e.getMessage());
            return 2;
        }
    }
}
