package org.layerfuse.prune.report;

/** How numbers are shown in report.html and the Markdown tables ({@code summary.json} and CSV keep full precision). */
final class Formats {

    static final String ACCURACY = "%.3f";
    static final String PERCENT = "%+.2f";
    static final String RATIO = "%.3f";
    static final String RANK = "%.2f";
    static final String P = "%.4g";
    static final String W = "%.1f";
    static final String COUNT = "%.0f";
    static final String GB = "%.4f";
    static final String IMPORTANCE = "%.3f";
    static final String STEP = "%.2f";

    private Formats() {
    }
}
