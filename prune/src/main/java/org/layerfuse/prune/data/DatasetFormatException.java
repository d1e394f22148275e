package org.layerfuse.prune.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A labelled-text file that cannot be used as it is. The message names the file, then where
 * (line or record number) and the column when known, then what was expected.
 */
public final class DatasetFormatException extends IOException {

    public DatasetFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /** E.g. {@code data.csv: line 7, column 'label': unknown label 'maybe' (expected one of [neg, pos])}. */
    public DatasetFormatException(Path file, String where, String column, String problem) {
        super(file + ": " + where + (column == null ? "" : ", column '" + column + "'") + ": " + problem);
    }

    public DatasetFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
