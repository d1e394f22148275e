package org.layerfuse.prune.data;

/**
 * Which columns (CSV/TSV header names, JSON keys, parquet columns) hold the text, the optional
 * second text of a pair task ({@code null} for single-text tasks) and the label ({@code null}
 * only for texts read to be predicted, see {@link #unlabelled}).
 */
public record ColumnSpec(String textColumn, String textPairColumn, String labelColumn) {

    /** {@code text} and {@code label}, the names Hugging Face datasets use most. */
    public static final ColumnSpec DEFAULT = new ColumnSpec("text", null, "label");

    public ColumnSpec {
        if (textColumn == null || textColumn.isBlank()) {
            throw new IllegalArgumentException("the text column name is required (e.g. --text-column text)");
        }
        if (labelColumn != null && labelColumn.isBlank()) {
            throw new IllegalArgumentException("the label column name is required (e.g. --label-column label)");
        }
        if (textPairColumn != null && textPairColumn.isBlank()) {
            throw new IllegalArgumentException("the second text column name is blank; leave it out for single-text data");
        }
        if (textColumn.equals(labelColumn) || textColumn.equals(textPairColumn)
                || (labelColumn != null && labelColumn.equals(textPairColumn))) {
            throw new IllegalArgumentException("text, second text and label columns must differ, got text='" + textColumn
                    + "' second='" + textPairColumn + "' label='" + labelColumn + "'");
        }
    }

    /** Text columns without a label: records to predict. */
    public static ColumnSpec unlabelled(String textColumn, String textPairColumn) {
        return new ColumnSpec(textColumn, textPairColumn, null);
    }

    /** Single-text columns. */
    public ColumnSpec(String textColumn, String labelColumn) {
        this(textColumn, null, labelColumn);
    }
}
