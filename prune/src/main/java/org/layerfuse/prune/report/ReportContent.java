package org.layerfuse.prune.report;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.layerfuse.prune.study.StudyResults;

/**
 * What the report is being built from: the summary JSON tree, the HTML sections, and the
 * files (PNG, CSV, Markdown) already written into the report's (temporary) folder. Numbers
 * enter a table through {@link #number}, which puts the same value into the JSON, so every
 * number shown is in {@code summary.json} at the pointer its cell carries.
 */
final class ReportContent {

    private final Path dir;
    private final ObjectNode json = StudyResults.JSON.createObjectNode();
    private final List<ReportSection> sections = new ArrayList<>();
    private final Set<String> files = new HashSet<>();

    ReportContent(Path dir) {
        this.dir = dir;
        json.put("generator", StudyReport.GENERATOR);
        json.put("format", 1);
    }

    ObjectNode json() {
        return json;
    }

    List<ReportSection> sections() {
        return sections;
    }

    /** A JSON pointer from unescaped parts: {@code pointer("heals", "ce")} is {@code /heals/ce}. */
    static String pointer(String... parts) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append('/').append(p.replace("~", "~0").replace("/", "~1"));
        }
        return sb.toString();
    }

    /** The object at {@code pointer}, created with its parents if absent. */
    ObjectNode node(String pointer) {
        return pointer.isEmpty() ? json : json.withObject(JsonPointer.compile(pointer));
    }

    /** Puts {@code value} (null if not finite) at {@code parent/field} and returns its table cell. */
    ReportTable.Cell number(String parent, String field, double value, String format) {
        put(node(parent), field, value);
        return ReportTable.Cell.number(value, format, parent + pointer(field));
    }

    static void put(ObjectNode node, String field, double value) {
        if (Double.isFinite(value)) {
            node.put(field, value);
        } else {
            node.putNull(field);
        }
    }

    static ArrayNode array(ObjectNode node, String field, double[] values) {
        ArrayNode a = node.putArray(field);
        for (double v : values) {
            if (Double.isFinite(v)) {
                a.add(v);
            } else {
                a.addNull();
            }
        }
        return a;
    }

    /** Puts a test result at {@code parent/field}. */
    void putTest(String parent, String field, WilcoxonResult r, String pairing) {
        ObjectNode t = node(parent).putObject(field);
        t.put("pairing", pairing);
        t.put("pairs", r.pairs());
        t.put("zeroDifferences", r.zeros());
        t.put("n", r.n());
        put(t, "meanDifference", r.n() == 0 ? Double.NaN : r.meanDifference());
        put(t, "wPlus", r.n() == 0 ? Double.NaN : r.wPlus());
        put(t, "wMinus", r.n() == 0 ? Double.NaN : r.wMinus());
        put(t, "w", r.n() == 0 ? Double.NaN : r.w());
        put(t, "p", r.p());
        t.put("method", r.method().name().toLowerCase(java.util.Locale.ROOT));
        if (r.note() != null) {
            t.put("note", r.note());
        } else {
            t.putNull("note");
        }
    }

    ReportSection section(String id, String title) {
        ReportSection s = new ReportSection(id, title);
        sections.add(s);
        return s;
    }

    /** Writes a table's CSV and Markdown files and adds it to the section. */
    void table(ReportSection section, ReportTable table, boolean collapsed) {
        String base = unique("tables/" + safeName(table.id()));
        writeText(base + ".csv", table.toCsv());
        writeText(base + ".md", table.toMarkdown());
        ObjectNode t = json.withArray("tables").addObject();
        t.put("id", table.id());
        t.put("title", table.title());
        t.put("csv", base + ".csv");
        t.put("markdown", base + ".md");
        section.table(table, collapsed, base);
    }

    /** Writes a PNG and adds it to the section. */
    Figure figure(ReportSection section, String id, String title, String caption, BufferedImage image) {
        String file = unique(safeName(id)) + ".png";
        write(dir.resolve(file), ChartImages.png(image));
        Figure f = new Figure(file.substring(0, file.length() - 4), file, title, caption, image.getWidth(),
                image.getHeight());
        ObjectNode n = json.withArray("figures").addObject();
        n.put("id", f.id());
        n.put("file", file);
        n.put("title", title);
        n.put("width", f.width());
        n.put("height", f.height());
        section.figure(f);
        return f;
    }

    /** A file name safe on any file system: letters, digits, '.', '_' and '-' kept, others '_'. */
    static String safeName(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** {@code base}, or {@code base-2}, {@code base-3}, ... if names made safe collide. */
    private String unique(String base) {
        String name = base;
        for (int i = 2; !files.add(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    void writeText(String relative, String text) {
        write(dir.resolve(relative), text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes bytes to a temporary sibling, then moves it into place atomically. */
    static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
