package org.layerfuse.prune.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.layerfuse.prune.cli.LayerFuseCli;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.study.CellResult;
import org.layerfuse.prune.study.StudyResults;
import picocli.CommandLine;

/** A tiny real study (MiniLM on spam-assassin) run through the command line, and comparisons of results directories. */
final class StudyRecords {

    private StudyRecords() {
    }

    /** Two strategies (one signal-based, one fusion with ΔA), CE healing, one removal, a few dozen examples. */
    static List<String> tinyStudy(Path out, String... more) {
        return tinyStudyOf(out, "weight-norm,random-forest", "ce", more);
    }

    static List<String> tinyStudyOf(Path out, String strategies, String heal, String... more) {
        List<String> args = new ArrayList<>(List.of("study", "--model", "minilm", "--data", "spam-assassin",
                "--strategies", strategies, "--heal", heal, "--repeats", "1", "--layers-to-remove", "1",
                "--train-size", "32", "--heal-size", "16", "--validation-size", "16", "--test-size", "32",
                "--signal-size", "16", "--epochs", "1", "--heal-epochs", "1", "--seed", "7", "--out", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    record Outcome(int code, String err) {
    }

    /** Runs the command line as {@code layerfuse} does; the summary goes to stdout, errors are kept. */
    static Outcome cli(List<String> args) {
        CommandLine cli = LayerFuseCli.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args.toArray(String[]::new));
        return new Outcome(code, err.toString());
    }

    /** Copies {@code <from>/<dataset>/baseline} so a second run of the same study reuses the fine-tuned baseline. */
    static void copyBaseline(Path from, Path to, String dataset) throws IOException {
        Path source = StudyResults.baselineFile(from, dataset).getParent();
        Path target = StudyResults.baselineFile(to, dataset).getParent();
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
    }

    /**
     * Relative tolerance of measured real numbers (signals, losses, scores, importances): they
     * come from float32 activations and weights, and ND4J's float32 products and reductions are
     * not bitwise reproducible between JVMs, threads or buffer alignments (oneDNN/OpenBLAS pick
     * kernels and summation order by shape, alignment and the `GemmRoute` timing of each JVM).
     * After one heal the two runs' weights differ by float32 rounding, and what is measured on
     * them moves with it: seen in clean-clone runs, a test loss 7.8e-9 and a flow MI 5.0e-8
     * relative apart, with accuracies, F1 and removed layers identical. 1e-5 is ≈ 80 float32
     * ulps: far below what any change of method, seed or data moves (1e-3 and more), so the
     * comparison still catches a task that computes something else.
     */
    static final double RELATIVE = 1e-5;

    /**
     * Every cell of {@code actual} holds the same steps as in {@code expected}: removed layers,
     * live layers, accuracies, F1 and parameter counts exactly; losses, signal tables, scores,
     * feature importances and ΔA rows' signals to {@link #RELATIVE} (timings and the healer's text are
     * not results).
     */
    static void assertSameRecords(StudyResults expected, StudyResults actual) {
        assertEquals(expected.cells().size(), actual.cells().size(), "cells");
        for (int i = 0; i < expected.cells().size(); i++) {
            CellResult e = expected.cells().get(i);
            CellResult a = actual.cells().get(i);
            assertEquals(e.key(), a.key());
            assertTrue(e.complete() && a.complete(), e.key() + " complete in both: " + e.steps().size() + " / "
                    + a.steps().size() + " steps; errors " + e.error() + " / " + a.error());
            for (int k = 0; k < e.steps().size(); k++) {
                StepRecord x = e.steps().get(k);
                StepRecord y = a.steps().get(k);
                String where = e.key() + " step " + k;
                assertEquals(x.removedLayer(), y.removedLayer(), where + " removed layer");
                assertArrayEquals(x.liveLayers(), y.liveLayers(), where + " live layers");
                assertEquals(x.accuracy(), y.accuracy(), 0.0, where + " accuracy");
                assertEquals(x.macroF1(), y.macroF1(), 0.0, where + " macro-F1");
                assertClose(x.testLoss(), y.testLoss(), where + " test loss");
                assertEquals(x.accuracyBeforeHeal(), y.accuracyBeforeHeal(), 0.0, where + " accuracy before healing");
                assertEquals(x.parameters(), y.parameters(), where + " parameters");
                assertSameTable(x.signalsCsv(), y.signalsCsv(), where + " signal table");
                assertClose(x.scores(), y.scores(), where + " scores");
                assertClose(x.featureImportance(), y.featureImportance(), where + " feature importance");
                assertEquals(x.deltaRows().size(), y.deltaRows().size(), where + " ΔA rows");
                for (int r = 0; r < x.deltaRows().size(); r++) {
                    var p = x.deltaRows().get(r);
                    var q = y.deltaRows().get(r);
                    assertEquals(p.step() + " " + p.layer() + " " + p.deltaAccuracy(),
                            q.step() + " " + q.layer() + " " + q.deltaAccuracy(), where + " ΔA row " + r);
                    assertClose(p.signals(), q.signals(), where + " ΔA row " + r + " signals");
                }
                assertEquals(x.validationAccuracy(), y.validationAccuracy(), 0.0, where + " validation accuracy");
            }
        }
    }

    private static void assertClose(double x, double y, String what) {
        assertClose(x, y, RELATIVE, what);
    }

    private static void assertClose(double x, double y, double relative, String what) {
        if (Double.isNaN(x) || Double.isNaN(y)) {
            assertEquals(Double.isNaN(x), Double.isNaN(y), what + ": " + x + " vs " + y);
            return;
        }
        assertEquals(x, y, relative * Math.max(1e-12, Math.max(Math.abs(x), Math.abs(y))), what);
    }

    private static void assertClose(double[] x, double[] y, String what) {
        assertEquals(x == null, y == null, what + " present in both");
        if (x != null) {
            assertEquals(x.length, y.length, what + " length");
            for (int i = 0; i < x.length; i++) {
                assertClose(x[i], y[i], what + "[" + i + "]");
            }
        }
    }

    /** Signal tables (CSV): the same header, layers and live flags; the values to {@link #RELATIVE}. */
    private static void assertSameTable(String x, String y, String what) {
        assertEquals(x == null, y == null, what + " present in both");
        if (x == null) {
            return;
        }
        String[] a = x.strip().split("\n");
        String[] b = y.strip().split("\n");
        assertEquals(a.length, b.length, what + " rows");
        assertEquals(a[0], b[0], what + " header");
        for (int r = 1; r < a.length; r++) {
            String[] p = a[r].split(",");
            String[] q = b[r].split(",");
            assertEquals(p[0] + "," + p[1], q[0] + "," + q[1], what + " row " + r);
            for (int c = 2; c < p.length; c++) {
                assertClose(Double.parseDouble(p[c]), Double.parseDouble(q[c]), what + " row " + r + " " + a[0].split(",")[c]);
            }
        }
    }

    /**
     * No cell directory holds a half-written or mixed step: every step record parses and the
     * steps run 0..n without a gap, no temporary file is left, no other attempt holds the cell.
     */
    static void assertCleanCells(StudyResults results) throws IOException {
        for (CellResult c : results.cells()) {
            Path dir = c.key().directory(results.root());
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    assertTrue(!n.endsWith(".tmp") && !n.endsWith(".part"), "leftover " + f);
                    if (n.startsWith("step-")) {
                        int k = Integer.parseInt(n.substring(5, 8));
                        assertTrue(k < c.steps().size(), f + " is not part of the cell's consecutive steps");
                    }
                }
            }
            for (int k = 0; k < c.steps().size(); k++) {
                assertEquals(k, c.steps().get(k).step(), c.key() + " step numbering");
            }
        }
    }
}
