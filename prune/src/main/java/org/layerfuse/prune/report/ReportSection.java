package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.List;

/** A titled part of report.html: paragraphs, tables and figures in order. */
final class ReportSection {

    /** What a section shows, in order. */
    sealed interface Block permits Paragraph, TableBlock, FigureBlock, Subheading {
    }

    record Paragraph(String text) implements Block {
    }

    record Subheading(String text) implements Block {
    }

    /** A table and the base name of its CSV and Markdown files ({@code tables/<name>}). */
    record TableBlock(ReportTable table, boolean collapsed, String fileBase) implements Block {
    }

    record FigureBlock(Figure figure) implements Block {
    }

    private final String id;
    private final String title;
    private final List<Block> blocks = new ArrayList<>();

    ReportSection(String id, String title) {
        this.id = id;
        this.title = title;
    }

    String id() {
        return id;
    }

    String title() {
        return title;
    }

    List<Block> blocks() {
        return blocks;
    }

    ReportSection paragraph(String text) {
        blocks.add(new Paragraph(text));
        return this;
    }

    ReportSection subheading(String text) {
        blocks.add(new Subheading(text));
        return this;
    }

    /** A table; a long one {@code collapsed} (shown folded, in an HTML details element). */
    ReportSection table(ReportTable t, boolean collapsed, String fileBase) {
        blocks.add(new TableBlock(t, collapsed, fileBase));
        return this;
    }

    ReportSection figure(Figure f) {
        blocks.add(new FigureBlock(f));
        return this;
    }
}
