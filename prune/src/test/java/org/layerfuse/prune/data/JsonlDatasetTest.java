package org.layerfuse.prune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDatasetTest {

    @TempDir
    Path temp;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(temp.resolve(name), content);
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    @Test
    void integerAndStringLabelsUnicodeAndBlankLines() throws IOException {
        Path file = write("news.jsonl", """
                {"text": "Stocks rally \\u2014 again", "label": 2, "extra": [1, 2]}

                {"label": 0, "text": "Multi\\nline ünïcödé 😀"}
                """);
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.defaults());
        assertEquals(List.of("0", "1", "2"), d.labelNames());
        assertEquals(List.of(new Example("Stocks rally — again", 2), new Example("Multi\nline ünïcödé 😀", 0)), d.examples());

        Path names = write("names.ndjson", "{\"text\":\"a\",\"label\":\"spam\"}\n{\"text\":\"b\",\"label\":\"ham\"}\n");
        LabeledDataset byName = TextFileDatasets.load(names, TextFileOptions.defaults());
        assertEquals(List.of("ham", "spam"), byName.labelNames());
        assertEquals(List.of(1, 0), byName.examples().stream().map(Example::label).toList());
    }

    @Test
    void pairTexts() throws IOException {
        Path file = write("pairs.jsonl", "{\"q\":\"Is it?\",\"a\":\"Yes.\",\"y\":1}\n");
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.of(new ColumnSpec("q", "a", "y")));
        assertEquals(List.of(new Example("Is it?", "Yes.", 1)), d.examples());
    }

    @Test
    void malformedLineIsNamed() throws IOException {
        Path file = write("bad.jsonl", "{\"text\":\"a\",\"label\":0}\n{\"text\":\"b\",\"label\":1}\n{\"text\": \"c\", \"label\": \n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(e, "bad.jsonl", "line 3", "malformed JSON");
        var array = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(write("array.jsonl", "[1, 2]\n"), TextFileOptions.defaults()));
        assertMessage(array, "array.jsonl", "line 1", "expected a JSON object");
    }

    @Test
    void missingFieldsListTheFieldsPresent() throws IOException {
        Path file = write("fields.jsonl", "{\"text\":\"a\",\"label\":0}\n{\"text\":\"b\",\"category\":1}\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(e, "fields.jsonl", "line 2", "column 'label'", "[text, category]");
        Path noText = write("notext.jsonl", "{\"sentence\":\"a\",\"label\":0}\n");
        var t = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(noText, TextFileOptions.defaults()));
        assertMessage(t, "notext.jsonl", "line 1", "column 'text'", "[sentence, label]");
    }

    @Test
    void emptyTextNullTextAndWrongTypes() throws IOException {
        var empty = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(
                write("empty.jsonl", "{\"text\":\"a\",\"label\":0}\n{\"text\":\"\",\"label\":1}\n"), TextFileOptions.defaults()));
        assertMessage(empty, "empty.jsonl", "line 2", "column 'text'", "empty text");
        var nul = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(
                write("null.jsonl", "{\"text\":null,\"label\":1}\n"), TextFileOptions.defaults()));
        assertMessage(nul, "null.jsonl", "line 1", "column 'text'", "empty text");
        var number = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(
                write("number.jsonl", "{\"text\":5,\"label\":1}\n"), TextFileOptions.defaults()));
        assertMessage(number, "number.jsonl", "line 1", "column 'text'", "expected a string");
        var fraction = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(
                write("float.jsonl", "{\"text\":\"a\",\"label\":0.5}\n"), TextFileOptions.defaults()));
        assertMessage(fraction, "float.jsonl", "line 1", "column 'label'", "string or an integer");
    }

    @Test
    void unknownLabelAndEmptyFile() throws IOException {
        Path file = write("labels.jsonl", "{\"text\":\"a\",\"label\":\"pos\"}\n{\"text\":\"b\",\"label\":\"meh\"}\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file,
                TextFileOptions.defaults().withLabelNames(List.of("neg", "pos"))));
        assertMessage(e, "labels.jsonl", "line 2", "column 'label'", "unknown label 'meh'");
        var empty = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(write("none.jsonl", "\n\n"), TextFileOptions.defaults()));
        assertMessage(empty, "none.jsonl", "file is empty");
    }

    @Test
    void textsToPredictNeedNoLabelField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("to-label.jsonl");
        Files.writeString(file, "{\"text\": \"hello\"}\n\n{\"text\": \"world\", \"extra\": 1}\n{\"txt\": \"x\"}\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.readTexts(file, ColumnSpec.unlabelled("text", null), null));
        assertTrue(e.getMessage().contains("line 4") && e.getMessage().contains("text"),
                e.getMessage());
        Files.writeString(file, "{\"text\": \"hello\"}\n{\"text\": \"world\"}\n");
        assertEquals(List.of(new TextRecord("line 1", "hello", null, null),
                new TextRecord("line 2", "world", null, null)),
                TextFileDatasets.readTexts(file, ColumnSpec.unlabelled("text", null), null));
    }
}
