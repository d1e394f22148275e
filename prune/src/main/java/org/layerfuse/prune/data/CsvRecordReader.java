package org.layerfuse.prune.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * CSV or TSV (UTF-8, optional byte-order mark) with a header row naming the columns, read with
 * Apache Commons CSV: RFC 4180 quoting ({@code "a ""quoted"", multi-line field"}), empty lines
 * skipped. Records are located by the line they start on (header = line 1).
 */
public final class CsvRecordReader implements TextRecordReader {

    private final char delimiter;

    public CsvRecordReader(char delimiter) {
        this.delimiter = delimiter;
    }

    @Override
    public List<TextRecord> read(Path file, ColumnSpec columns) throws IOException {
        CSVFormat format = CSVFormat.DEFAULT.builder()
                .setDelimiter(delimiter)
                .setHeader()
                .setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true)
                .get();
        List<TextRecord> records = new ArrayList<>();
        try (Reader in = withoutByteOrderMark(Files.newBufferedReader(file, StandardCharsets.UTF_8));
             CSVParser parser = format.parse(in)) {
            List<String> header = parser.getHeaderNames();
            if (header.isEmpty()) {
                throw new DatasetFormatException(file, "file is empty: expected a header row naming the columns, e.g. "
                        + columns.textColumn() + (delimiter == '\t' ? "<TAB>" : String.valueOf(delimiter)) + columns.labelColumn());
            }
            for (String column : columnsOf(columns)) {
                if (!header.contains(column)) {
                    throw new DatasetFormatException(file, "line 1 (header)", column,
                            "no such column; the header has " + header);
                }
            }
            var iterator = parser.iterator();
            while (hasNext(iterator, file)) {
                CSVRecord record = iterator.next();
                String where = "line " + startLine(parser.getCurrentLineNumber(), record);
                for (String column : columnsOf(columns)) {
                    if (!record.isSet(column)) {
                        throw new DatasetFormatException(file, where, column, "the record has only " + record.size()
                                + " fields but the header names " + header.size());
                    }
                }
                records.add(new TextRecord(where, record.get(columns.textColumn()),
                        columns.textPairColumn() == null ? null : record.get(columns.textPairColumn()),
                        columns.labelColumn() == null ? null : record.get(columns.labelColumn())));
            }
        } catch (DatasetFormatException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw new DatasetFormatException(file, "is not UTF-8 text", e);
        } catch (IOException e) {
            throw notValid(file, e);
        } catch (IllegalArgumentException e) {
            // Commons CSV checks the header as it opens the file and throws IllegalArgumentException for an empty
            // or repeated column name (found by fuzzing): report it as the file's format error.
            throw new DatasetFormatException(file, "line 1 (header)", null, e.getMessage()
                    + "; every column needs a unique, non-empty name");
        }
        if (records.isEmpty()) {
            throw new DatasetFormatException(file, "has a header but no records");
        }
        return records;
    }

    /** Commons CSV's iterator wraps read errors (e.g. end of file inside a quoted field) in UncheckedIOException. */
    private boolean hasNext(Iterator<CSVRecord> iterator, Path file) throws IOException {
        try {
            return iterator.hasNext();
        } catch (UncheckedIOException e) {
            throw e.getCause() instanceof CharacterCodingException cce ? cce : notValid(file, e.getCause());
        }
    }

    private DatasetFormatException notValid(Path file, IOException e) {
        return new DatasetFormatException(file, "not valid " + (delimiter == '\t' ? "TSV" : "CSV") + ": " + e.getMessage(), e);
    }

    private static List<String> columnsOf(ColumnSpec columns) {
        List<String> out = new java.util.ArrayList<>(List.of(columns.textColumn()));
        if (columns.textPairColumn() != null) {
            out.add(columns.textPairColumn());
        }
        if (columns.labelColumn() != null) {
            out.add(columns.labelColumn());
        }
        return out;
    }

    /** Commons CSV counts lines up to the end of the record just read; a quoted field's own line breaks come off. */
    private static long startLine(long endLine, CSVRecord record) {
        long breaks = 0;
        for (String value : record) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\n' || (c == '\r' && (i + 1 == value.length() || value.charAt(i + 1) != '\n'))) {
                    breaks++;
                }
            }
        }
        return endLine - breaks;
    }

    private static Reader withoutByteOrderMark(BufferedReader in) throws IOException {
        in.mark(1);
        if (in.read() != '\uFEFF') {
            in.reset();
        }
        return in;
    }
}
