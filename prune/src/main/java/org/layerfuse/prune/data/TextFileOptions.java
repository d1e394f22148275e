package org.layerfuse.prune.data;

import java.util.List;
import java.util.Objects;

/**
 * How to read a labelled-text file: its columns, the class names (null: derived from the data),
 * how label values map to classes, and its format (null: from the file extension).
 */
public record TextFileOptions(ColumnSpec columns, List<String> labelNames, LabelEncoding labelEncoding,
                              TextFileFormat format) {

    public TextFileOptions {
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(labelEncoding, "labelEncoding");
        if (labelNames != null) {
            labelNames = List.copyOf(labelNames);
            if (labelNames.isEmpty()) {
                throw new IllegalArgumentException("label names, when given, must not be empty");
            }
        }
    }

    /** Columns {@code text} / {@code label}, classes from the data, format from the extension. */
    public static TextFileOptions defaults() {
        return new TextFileOptions(ColumnSpec.DEFAULT, null, LabelEncoding.AUTO, null);
    }

    public static TextFileOptions of(ColumnSpec columns) {
        return new TextFileOptions(columns, null, LabelEncoding.AUTO, null);
    }

    public TextFileOptions withLabelNames(List<String> names) {
        return new TextFileOptions(columns, names, labelEncoding, format);
    }

    public TextFileOptions withLabelEncoding(LabelEncoding encoding) {
        return new TextFileOptions(columns, labelNames, encoding, format);
    }

    public TextFileOptions withFormat(TextFileFormat explicitFormat) {
        return new TextFileOptions(columns, labelNames, labelEncoding, explicitFormat);
    }
}
