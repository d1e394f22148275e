package org.layerfuse.prune.data;

/**
 * One record as a {@link TextRecordReader} found it: where it is ({@code line 7}, {@code record 3}),
 * its text, second text and label as strings ({@code null} when the value is null or absent).
 */
public record TextRecord(String where, String text, String textPair, String label) {
}
