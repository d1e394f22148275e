package org.layerfuse.prune.report;

/** A PNG of the report, referenced from the HTML by its file name (relative to report.html). */
record Figure(String id, String file, String title, String caption, int width, int height) {
}
