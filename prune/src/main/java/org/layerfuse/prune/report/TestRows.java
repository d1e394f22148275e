package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The long-format table of Wilcoxon tests shared by the sections: one row per test, with the
 * pairing, the pair counts, W+, W−, the two-sided p, the method and any note. Each result is
 * put into summary.json at {@code parent/field}.
 */
final class TestRows {

    static final List<String> HEADER = List.of("Strategy", "Comparison", "Pairing", "Pairs", "Zero diffs", "n",
            "Mean diff", "W+", "W−", "W = min", "p (two-sided)", "Method", "Note");

    private final ReportContent out;
    private final List<List<ReportTable.Cell>> rows = new ArrayList<>();

    TestRows(ReportContent out) {
        this.out = out;
    }

    /** Records a test in summary.json and adds its row. */
    void add(String label, String comparison, String pairing, String parent, String field, WilcoxonResult r) {
        out.putTest(parent, field, r, pairing);
        String p = parent + ReportContent.pointer(field);
        rows.add(List.of(ReportTable.Cell.text(label), ReportTable.Cell.text(comparison), ReportTable.Cell.text(pairing),
                ReportTable.Cell.number(r.pairs(), Formats.COUNT, p + "/pairs"),
                ReportTable.Cell.number(r.zeros(), Formats.COUNT, p + "/zeroDifferences"),
                ReportTable.Cell.number(r.n(), Formats.COUNT, p + "/n"),
                ReportTable.Cell.number(r.n() == 0 ? Double.NaN : r.meanDifference(), "%+.4g", p + "/meanDifference"),
                ReportTable.Cell.number(r.n() == 0 ? Double.NaN : r.wPlus(), Formats.W, p + "/wPlus"),
                ReportTable.Cell.number(r.n() == 0 ? Double.NaN : r.wMinus(), Formats.W, p + "/wMinus"),
                ReportTable.Cell.number(r.n() == 0 ? Double.NaN : r.w(), Formats.W, p + "/w"),
                ReportTable.Cell.number(r.p(), Formats.P, p + "/p").bolded(r.significant(0.05)),
                ReportTable.Cell.text(r.method().name().toLowerCase(java.util.Locale.ROOT)),
                ReportTable.Cell.text(r.note() == null ? "" : r.note())));
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    ReportTable table(String id, String title, String caption) {
        return new ReportTable(id, title, caption, HEADER, rows);
    }

    /** What every test table says about the method. */
    static final String METHOD = "Wilcoxon signed-rank tests (commons-math3 3.6.1), two-sided; d = strategy − "
            + "reference. Zero differences are dropped before ranking (n counts the rest); tied |d| share the average "
            + "rank. p is exact for n ≤ " + PairedWilcoxon.EXACT_MAX_N + " (computed as if there were no ties) and "
            + "from commons-math's normal approximation above (variance without tie correction; commons-math "
            + "subtracts its 0.5 continuity term from min(W+, W−) − n(n+1)/4, which lowers p slightly). W = "
            + "min(W+, W−). With n < " + PairedWilcoxon.MIN_TESTABLE_N + " no outcome reaches p < 0.05 (the "
            + "smallest exact p is 2^(1−n)); such rows carry a note. Bold p: p < 0.05. No correction for multiple "
            + "comparisons.";
}
