package org.layerfuse.prune.report;

/**
 * Something the study asked for that the results directory does not (fully) hold.
 *
 * @param kind   {@code baseline-missing}, {@code cell-missing}, {@code cell-failed} or {@code cell-incomplete}
 * @param what   the dataset or cell ({@code dataset/heal/strategy/rep-r})
 * @param detail what is there instead, in a sentence
 */
public record MissingItem(String kind, String what, String detail) {

    @Override
    public String toString() {
        return kind + " " + what + ": " + detail;
    }
}
