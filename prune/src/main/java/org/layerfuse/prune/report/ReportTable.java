package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A table of the report, rendered as HTML, CSV and Markdown. A numeric cell keeps its full
 * value (written to CSV), its display text (HTML, Markdown) and the JSON pointer of the same
 * number in {@code summary.json}.
 */
record ReportTable(String id, String title, String caption, List<String> header, List<List<Cell>> rows) {

    ReportTable {
        header = List.copyOf(header);
        rows = rows.stream().map(List::copyOf).toList();
        for (List<Cell> r : rows) {
            if (r.size() != header.size()) {
                throw new IllegalArgumentException("table " + id + ": a row has " + r.size() + " cells for "
                        + header.size() + " columns");
            }
        }
    }

    /** One cell: text, or a number with its display format and JSON pointer. */
    record Cell(String text, double value, String pointer, boolean bold) {

        static final String EMPTY = "—";

        static Cell text(String text) {
            return new Cell(text, Double.NaN, null, false);
        }

        /** A number shown with {@code format}; NaN shows as an em dash. */
        static Cell number(double value, String format, String pointer) {
            if (!Double.isFinite(value)) {
                return new Cell(EMPTY, Double.NaN, null, false);
            }
            return new Cell(String.format(Locale.ROOT, format, value), value, pointer, false);
        }

        Cell bolded(boolean b) {
            return new Cell(text, value, pointer, b);
        }

        boolean numeric() {
            return pointer != null;
        }
    }

    /** CSV: numbers at full precision, empty where there is none; bold is not representable. */
    String toCsv() {
        StringBuilder sb = new StringBuilder();
        sb.append(header.stream().map(ReportTable::csvField).collect(Collectors.joining(","))).append('\n');
        for (List<Cell> r : rows) {
            List<String> f = new ArrayList<>();
            for (Cell c : r) {
                f.add(c.numeric() ? Double.toString(c.value()) : c.text().equals(Cell.EMPTY) ? "" : csvField(c.text()));
            }
            sb.append(String.join(",", f)).append('\n');
        }
        return sb.toString();
    }

    /** GitHub-flavoured Markdown, bold cells as {@code **x**}. */
    String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(title).append("\n\n");
        if (caption != null) {
            sb.append(caption).append("\n\n");
        }
        sb.append("| ").append(header.stream().map(ReportTable::mdField).collect(Collectors.joining(" | ")))
                .append(" |\n");
        sb.append("|").append(header.stream().map(h -> "---").collect(Collectors.joining("|"))).append("|\n");
        for (List<Cell> r : rows) {
            sb.append("| ").append(r.stream().map(c -> c.bold() ? "**" + mdField(c.text()) + "**" : mdField(c.text()))
                    .collect(Collectors.joining(" | "))).append(" |\n");
        }
        return sb.toString();
    }

    private static String csvField(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private static String mdField(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
