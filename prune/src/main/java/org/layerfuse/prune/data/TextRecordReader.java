package org.layerfuse.prune.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the text / second text / label fields of every record of one file format. Structural
 * problems (missing columns, malformed lines, wrong value types, no records) are reported here
 * as {@link DatasetFormatException}s; label mapping and empty-value checks are left to
 * {@link TextFileDatasets}.
 */
public interface TextRecordReader {

    List<TextRecord> read(Path file, ColumnSpec columns) throws IOException;

    /** The reader for a format. */
    static TextRecordReader of(TextFileFormat format) {
        return switch (format) {
            case CSV -> new CsvRecordReader(',');
            case TSV -> new CsvRecordReader('\t');
            case JSONL -> new JsonlRecordReader();
            case PARQUET -> new ParquetRecordReader();
        };
    }
}
