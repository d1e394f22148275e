package org.layerfuse.prune.report;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Renders the sections as one self-contained {@code report.html}: inline CSS, no scripts,
 * figures linked by relative file name, so it opens from the file system without a server
 * or network. Each numeric table cell carries {@code data-json}, the pointer of its number
 * in {@code summary.json}.
 */
final class HtmlReport {

    private static final String CSS = """
            body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 24px auto; max-width: 1320px;
                   padding: 0 16px; color: #1a1a1a; line-height: 1.45; font-size: 15px; }
            h1 { font-size: 26px; } h2 { margin-top: 40px; border-bottom: 2px solid #ccc; padding-bottom: 4px; }
            h3 { margin-top: 24px; }
            nav ol { columns: 2; } nav a { text-decoration: none; }
            table.data { border-collapse: collapse; margin: 12px 0 4px; font-size: 13.5px; }
            table.data caption { caption-side: top; text-align: left; font-weight: bold; padding: 4px 0; }
            table.data th, table.data td { border: 1px solid #c8c8c8; padding: 3px 7px; }
            table.data th { background: #f0f0f0; position: sticky; top: 0; }
            table.data td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.data td.best { background: #fff3c4; }
            table.data tbody tr:nth-child(even) { background: #fafafa; }
            .scroll { overflow-x: auto; }
            p.files { font-size: 12.5px; color: #555; margin: 0 0 16px; }
            figure { margin: 16px 0 28px; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
            figcaption { font-size: 13.5px; color: #333; }
            details summary { cursor: pointer; font-weight: bold; margin: 8px 0; }
            .caption { font-size: 13px; color: #444; }
            pre.summary { background: #f6f6f6; padding: 10px; white-space: pre-wrap; font-size: 13px; }
            """;

    private HtmlReport() {
    }

    static String render(ReportContent content, String title, String textSummary) {
        Document doc = Document.createShell("");
        doc.outputSettings().charset("UTF-8").prettyPrint(true);
        doc.head().appendElement("meta").attr("charset", "utf-8");
        doc.head().appendElement("meta").attr("name", "generator").attr("content", StudyReport.GENERATOR);
        doc.title(title);
        doc.head().appendElement("style").appendText(CSS);
        Element body = doc.body();
        body.appendElement("h1").text(title);
        body.appendElement("p").text("Everything shown here is also in summary.json (full precision; the cells of "
                + "the HTML tables carry the JSON pointer of their number in data-json) and the tables are in "
                + "tables/ as CSV and Markdown.");
        body.appendElement("pre").addClass("summary").attr("id", "text-summary").text(textSummary);
        Element nav = body.appendElement("nav").appendElement("ol");
        for (ReportSection s : content.sections()) {
            nav.appendElement("li").appendElement("a").attr("href", "#" + s.id()).text(s.title());
        }
        for (ReportSection s : content.sections()) {
            Element sec = body.appendElement("section").attr("id", s.id());
            sec.appendElement("h2").text(s.title());
            for (ReportSection.Block b : s.blocks()) {
                if (b instanceof ReportSection.Paragraph p) {
                    sec.appendElement("p").text(p.text());
                } else if (b instanceof ReportSection.Subheading h) {
                    sec.appendElement("h3").text(h.text());
                } else if (b instanceof ReportSection.TableBlock t) {
                    table(sec, t);
                } else if (b instanceof ReportSection.FigureBlock f) {
                    figure(sec, f.figure());
                }
            }
        }
        return doc.outerHtml();
    }

    private static void table(Element parent, ReportSection.TableBlock block) {
        ReportTable t = block.table();
        Element host = parent;
        if (block.collapsed()) {
            host = parent.appendElement("details");
            host.appendElement("summary").text(t.title() + " (" + t.rows().size() + " rows)");
        }
        Element table = host.appendElement("div").addClass("scroll").appendElement("table").addClass("data")
                .attr("id", "table-" + block.fileBase().substring("tables/".length()));
        table.appendElement("caption").text(t.title());
        Element hr = table.appendElement("thead").appendElement("tr");
        t.header().forEach(h -> hr.appendElement("th").text(h));
        Element tbody = table.appendElement("tbody");
        for (var row : t.rows()) {
            Element tr = tbody.appendElement("tr");
            for (ReportTable.Cell c : row) {
                Element td = tr.appendElement("td");
                if (c.numeric()) {
                    td.addClass("num").attr("data-json", c.pointer());
                }
                if (c.bold()) {
                    td.addClass("best").appendElement("b").text(c.text());
                } else {
                    td.text(c.text());
                }
            }
        }
        if (t.caption() != null) {
            host.appendElement("p").addClass("caption").text(t.caption());
        }
        Element files = host.appendElement("p").addClass("files");
        String base = block.fileBase();
        files.appendText("Files: ");
        files.appendElement("a").attr("href", base + ".csv").text(base + ".csv");
        files.appendText(" · ");
        files.appendElement("a").attr("href", base + ".md").text(base + ".md");
    }

    private static void figure(Element parent, Figure f) {
        Element fig = parent.appendElement("figure").attr("id", "figure-" + f.id());
        fig.appendElement("img").attr("src", f.file()).attr("alt", f.title()).attr("width",
                Integer.toString(f.width())).attr("height", Integer.toString(f.height()));
        fig.appendElement("figcaption").text(f.caption());
    }
}
