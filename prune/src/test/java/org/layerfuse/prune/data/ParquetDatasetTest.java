package org.layerfuse.prune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet files written here by DuckDB ({@code COPY ... TO ... (FORMAT PARQUET)}), as Hugging Face exports look. */
class ParquetDatasetTest {

    @TempDir
    Path temp;

    private Path parquet(String name, String select) throws SQLException {
        Path file = temp.resolve(name);
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
            st.execute("COPY (" + select + ") TO '" + file.toString().replace("'", "''") + "' (FORMAT PARQUET)");
        }
        return file;
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    @Test
    void int64ClassLabelsInFileOrder() throws Exception {
        Path file = parquet("train.parquet", "SELECT * FROM (VALUES ('Stocks rally', 2::BIGINT), ('naïve café 日本語 😀', 0::BIGINT),"
                + " ('multi\nline', 1::BIGINT)) t(text, label)");
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.defaults()
                .withLabelNames(List.of("world", "sports", "business")));
        assertEquals("train", d.name());
        assertEquals(List.of(new Example("Stocks rally", 2), new Example("naïve café 日本語 😀", 0),
                new Example("multi\nline", 1)), d.examples());
    }

    @Test
    void stringLabelsAndPairs() throws Exception {
        Path file = parquet("nli.parquet", "SELECT * FROM (VALUES ('A man sleeps.', 'Someone rests.', 'entailment'),"
                + " ('A dog runs.', 'A cat sits.', 'contradiction')) t(premise, hypothesis, gold)");
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.of(new ColumnSpec("premise", "hypothesis", "gold")));
        assertEquals(List.of("contradiction", "entailment"), d.labelNames());
        assertEquals(List.of(new Example("A man sleeps.", "Someone rests.", 1),
                new Example("A dog runs.", "A cat sits.", 0)), d.examples());
    }

    @Test
    void textsToPredictNeedNoLabelColumn() throws Exception {
        Path file = parquet("unlabelled.parquet", "SELECT * FROM (VALUES ('A man sleeps.', 'Someone rests.'),"
                + " ('A dog runs.', 'A cat sits.')) t(premise, hypothesis)");
        List<TextRecord> records = TextFileDatasets.readTexts(file, ColumnSpec.unlabelled("premise", "hypothesis"), null);
        assertEquals(List.of(new TextRecord("record 1", "A man sleeps.", "Someone rests.", null),
                new TextRecord("record 2", "A dog runs.", "A cat sits.", null)), records);
        Path empty = parquet("blank.parquet", "SELECT * FROM (VALUES ('fine'), ('')) t(text)");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.readTexts(empty, ColumnSpec.unlabelled("text", null), null));
        assertMessage(e, "record 2", "text", "empty text");
    }

    @Test
    void missingColumnsListTheSchema() throws Exception {
        Path file = parquet("cols.parquet", "SELECT 'x' AS sentence, 1 AS stars");
        var label = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file,
                TextFileOptions.of(new ColumnSpec("sentence", "label"))));
        assertMessage(label, "cols.parquet", "column 'label'", "[sentence, stars]");
        var text = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(text, "cols.parquet", "column 'text'", "[sentence, stars]");
    }

    @Test
    void emptyTextAndUnknownLabelNameTheirRecord() throws Exception {
        Path file = parquet("bad.parquet", "SELECT * FROM (VALUES ('ok', 'pos'), (NULL, 'neg'), ('fine', 'meh')) t(text, label)");
        var empty = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(empty, "bad.parquet", "record 2", "column 'text'", "empty text");
        Path labels = parquet("labels.parquet", "SELECT * FROM (VALUES ('ok', 'pos'), ('fine', 'meh')) t(text, label)");
        var unknown = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(labels,
                TextFileOptions.defaults().withLabelNames(List.of("neg", "pos"))));
        assertMessage(unknown, "labels.parquet", "record 2", "column 'label'", "unknown label 'meh'");
    }

    @Test
    void wrongTypesEmptyFileAndNotParquet() throws Exception {
        Path doubles = parquet("double.parquet", "SELECT 'x' AS text, 0.5::DOUBLE AS label");
        var type = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(doubles, TextFileOptions.defaults()));
        assertMessage(type, "double.parquet", "record 1", "column 'label'", "DOUBLE");
        Path none = parquet("none.parquet", "SELECT 'x' AS text, 0 AS label WHERE false");
        var empty = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(none, TextFileOptions.defaults()));
        assertMessage(empty, "none.parquet", "file is empty");
        Path fake = Files.writeString(temp.resolve("fake.parquet"), "text,label\nx,0\n");
        var notParquet = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(fake, TextFileOptions.defaults()));
        assertMessage(notParquet, "fake.parquet", "cannot read as parquet");
    }
}
