package org.layerfuse.prune.data;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parquet files (e.g. Hugging Face dataset exports) read through DuckDB's
 * {@code read_parquet(path)} in an in-memory database. Texts must be string columns, labels
 * string or integer columns (Hugging Face {@code ClassLabel} is int64). Records are numbered
 * from 1 in file order.
 */
public final class ParquetRecordReader implements TextRecordReader {

    /** A parquet file begins and ends with this magic; the footer length sits just before the last one. */
    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};

    @Override
    public List<TextRecord> read(Path file, ColumnSpec columns) throws IOException {
        checkFraming(file);
        String path = file.toAbsolutePath().toString();
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
            List<String> existing = columnNames(db, path, file);
            List<String> wanted = new ArrayList<>(List.of(columns.textColumn()));
            if (columns.labelColumn() != null) {
                wanted.add(columns.labelColumn());
            }
            if (columns.textPairColumn() != null) {
                wanted.add(columns.textPairColumn());
            }
            int labelIndex = columns.labelColumn() == null ? -1 : 2;
            int pairIndex = columns.labelColumn() == null ? 2 : 3;
            for (String column : wanted) {
                if (!existing.contains(column)) {
                    throw new DatasetFormatException(file, "schema", column, "no such column; the file has " + existing);
                }
            }
            String select = "SELECT " + String.join(", ", wanted.stream().map(ParquetRecordReader::quote).toList())
                    + " FROM read_parquet(?)";
            List<TextRecord> records = new ArrayList<>();
            try (PreparedStatement query = db.prepareStatement(select)) {
                query.setString(1, path);
                try (ResultSet rows = query.executeQuery()) {
                    long number = 0;
                    while (rows.next()) {
                        String where = "record " + (++number);
                        records.add(new TextRecord(where,
                                string(rows, 1, file, where, columns.textColumn()),
                                columns.textPairColumn() == null ? null
                                        : string(rows, pairIndex, file, where, columns.textPairColumn()),
                                labelIndex < 0 ? null : label(rows, labelIndex, file, where, columns.labelColumn())));
                    }
                }
            }
            if (records.isEmpty()) {
                throw new DatasetFormatException(file, "file is empty: the parquet file has no rows");
            }
            return records;
        } catch (SQLException e) {
            throw new DatasetFormatException(file, "cannot read as parquet: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // DuckDB's driver parses the file natively and can fail on malformed input with its own runtime
            // exceptions (an ArrayIndexOutOfBoundsException on an empty file, found by fuzzing): the user
            // needs to hear that the file is not valid parquet, not a driver stack trace.
            throw new DatasetFormatException(file, "cannot read as parquet (" + e + ")", e);
        }
    }

    /**
     * The framing every parquet file has ("PAR1", data, footer, 4-byte footer length, "PAR1"),
     * checked before DuckDB sees the file, so a file that is not parquet at all gets a plain answer.
     */
    private static void checkFraming(Path file) throws IOException {
        long size = java.nio.file.Files.size(file);
        if (size < 12) {
            throw new DatasetFormatException(file, "cannot read as parquet: " + size + " bytes, shorter than the 12 bytes "
                    + "of parquet's framing (PAR1 ... footer length, PAR1)");
        }
        byte[] head = new byte[4];
        byte[] tail = new byte[8];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            ch.read(java.nio.ByteBuffer.wrap(head), 0);
            ch.read(java.nio.ByteBuffer.wrap(tail), size - 8);
        }
        if (!java.util.Arrays.equals(head, MAGIC) || !java.util.Arrays.equals(tail, 4, 8, MAGIC, 0, 4)) {
            throw new DatasetFormatException(file, "cannot read as parquet: it does not begin and end with the magic "
                    + "bytes PAR1");
        }
        long footer = java.nio.ByteBuffer.wrap(tail, 0, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (footer > size - 12) {
            throw new DatasetFormatException(file, "cannot read as parquet: truncated, the footer length " + footer
                    + " at offset " + (size - 8) + " exceeds the " + (size - 12) + " bytes before it");
        }
    }

    private static List<String> columnNames(Connection db, String path, Path file) throws SQLException, DatasetFormatException {
        try (PreparedStatement query = db.prepareStatement("SELECT * FROM read_parquet(?) LIMIT 0")) {
            query.setString(1, path);
            try (ResultSet rows = query.executeQuery()) {
                ResultSetMetaData meta = rows.getMetaData();
                List<String> names = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    names.add(meta.getColumnName(i));
                }
                return names;
            }
        }
    }

    private static String string(ResultSet rows, int index, Path file, String where, String column)
            throws SQLException, DatasetFormatException {
        Object value = rows.getObject(index);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new DatasetFormatException(file, where, column, "expected a string column, got "
                + rows.getMetaData().getColumnTypeName(index));
    }

    private static String label(ResultSet rows, int index, Path file, String where, String column)
            throws SQLException, DatasetFormatException {
        Object value = rows.getObject(index);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return value.toString();
        }
        if (value instanceof BigDecimal d && d.stripTrailingZeros().scale() <= 0) {
            return d.toBigInteger().toString();
        }
        throw new DatasetFormatException(file, where, column, "expected a string or integer label column, got "
                + rows.getMetaData().getColumnTypeName(index) + " value " + value);
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
