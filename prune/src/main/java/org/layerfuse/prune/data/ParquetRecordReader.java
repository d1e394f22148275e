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

    @Override
    public List<TextRecord> read(Path file, ColumnSpec columns) throws IOException {
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
