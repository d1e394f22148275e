package org.layerfuse.prune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvDatasetTest {

    @TempDir
    Path temp;

    private Path write(String name, String content) throws IOException {
        Path file = temp.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    @Test
    void quotedMultiLineUnicodeFieldsWithStringLabels() throws IOException {
        Path file = write("reviews.csv", """
                id,text,label
                1,"Hello, ""world""\",pos
                2,"first line
                second line: naïve café 日本語 😀",neg
                3,plain text,pos
                """);
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.defaults());
        assertEquals("reviews", d.name());
        assertEquals(List.of("neg", "pos"), d.labelNames()); // sorted
        assertEquals(List.of(new Example("Hello, \"world\"", 1),
                new Example("first line\nsecond line: naïve café 日本語 😀", 0),
                new Example("plain text", 1)), d.examples());
    }

    @Test
    void explicitLabelOrderAndIntegerLabels() throws IOException {
        Path named = write("named.csv", "text,label\na,pos\nb,neg\n");
        LabeledDataset d = TextFileDatasets.load(named, TextFileOptions.defaults().withLabelNames(List.of("pos", "neg")));
        assertEquals(List.of(0, 1), d.examples().stream().map(Example::label).toList());

        Path ints = write("ints.csv", "text,label\na,2\nb,0\nc,2\n");
        LabeledDataset byIndex = TextFileDatasets.load(ints, TextFileOptions.defaults());
        assertEquals(List.of("0", "1", "2"), byIndex.labelNames());
        assertEquals(List.of(2, 0, 2), byIndex.examples().stream().map(Example::label).toList());

        LabeledDataset withNames = TextFileDatasets.load(ints,
                TextFileOptions.defaults().withLabelNames(List.of("world", "sports", "business")));
        assertEquals(List.of("world", "sports", "business"), withNames.labelNames());
        assertEquals(List.of(2, 0, 2), withNames.examples().stream().map(Example::label).toList());

        // numbers read as names: sorted as strings
        LabeledDataset asNames = TextFileDatasets.load(ints, TextFileOptions.defaults().withLabelEncoding(LabelEncoding.NAMES));
        assertEquals(List.of("0", "2"), asNames.labelNames());
        assertEquals(List.of(1, 0, 1), asNames.examples().stream().map(Example::label).toList());
    }

    @Test
    void pairColumnsAndOtherColumnNames() throws IOException {
        Path file = write("nli.csv", "premise,hypothesis,gold\nA man sleeps.,Someone rests.,entailment\nA dog runs.,A cat sits.,contradiction\n");
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.of(new ColumnSpec("premise", "hypothesis", "gold")));
        assertEquals(List.of(new Example("A man sleeps.", "Someone rests.", 1),
                new Example("A dog runs.", "A cat sits.", 0)), d.examples());
    }

    @Test
    void tsvWithQuotedTabAndByteOrderMark() throws IOException {
        Path file = write("data.tsv", "\uFEFFtext\tlabel\n\"tab\there\"\t1\nno quotes\t0\n");
        LabeledDataset d = TextFileDatasets.load(file, TextFileOptions.defaults());
        assertEquals(List.of(new Example("tab\there", 1), new Example("no quotes", 0)), d.examples());
    }

    @Test
    void explicitFormatOverridesTheExtension() throws IOException {
        Path file = write("data.txt", "text,label\nx,a\n");
        assertThrows(IllegalArgumentException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertEquals(1, TextFileDatasets.load(file, TextFileOptions.defaults().withFormat(TextFileFormat.CSV)).size());
    }

    @Test
    void missingLabelColumnListsTheColumns() throws IOException {
        Path file = write("nolabel.csv", "text,category\nx,a\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(e, "nolabel.csv", "line 1", "column 'label'", "[text, category]");
    }

    @Test
    void missingTextColumn() throws IOException {
        Path file = write("notext.csv", "sentence,label\nx,a\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(e, "notext.csv", "line 1", "column 'text'", "[sentence, label]");
    }

    @Test
    void emptyTextNamesItsLineAfterAMultiLineRecord() throws IOException {
        Path file = write("empty.csv", "text,label\n\"two\nlines\",a\n\n\"  \",b\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file, TextFileOptions.defaults()));
        assertMessage(e, "empty.csv", "line 5", "column 'text'", "empty text");
    }

    @Test
    void unknownLabelWhenNamesAreGiven() throws IOException {
        Path file = write("labels.csv", "text,label\nx,pos\ny,neutral\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file,
                TextFileOptions.defaults().withLabelNames(List.of("neg", "pos"))));
        assertMessage(e, "labels.csv", "line 3", "column 'label'", "unknown label 'neutral'", "[neg, pos]");
    }

    @Test
    void integerLabelOutOfRangeOfTheGivenNames() throws IOException {
        Path file = write("range.csv", "text,label\nx,0\ny,3\n");
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(file,
                TextFileOptions.defaults().withLabelNames(List.of("a", "b")).withLabelEncoding(LabelEncoding.INDICES)));
        assertMessage(e, "range.csv", "line 3", "column 'label'", "out of range 0..1");
    }

    @Test
    void emptyFileHeaderOnlyAndShortRecord() throws IOException {
        var empty = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(write("empty.csv", ""), TextFileOptions.defaults()));
        assertMessage(empty, "empty.csv", "file is empty");
        var header = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(write("header.csv", "text,label\n"), TextFileOptions.defaults()));
        assertMessage(header, "header.csv", "no records");
        var shortRecord = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(write("short.csv", "text,label\na,b\nonly\n"), TextFileOptions.defaults()));
        assertMessage(shortRecord, "short.csv", "line 3", "column 'label'", "only 1 fields");
        var unterminated = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(write("open.csv", "text,label\n\"never closed,a\n"), TextFileOptions.defaults()));
        assertMessage(unterminated, "open.csv", "not valid CSV");
    }

    @Test
    void missingFileAndBadEncoding() throws IOException {
        var missing = assertThrows(DatasetFormatException.class,
                () -> TextFileDatasets.load(temp.resolve("none.csv"), TextFileOptions.defaults()));
        assertMessage(missing, "none.csv", "no such file");
        Path latin1 = temp.resolve("latin1.csv");
        Files.write(latin1, "text,label\ncaf\u00e9,a\n".getBytes(StandardCharsets.ISO_8859_1));
        var e = assertThrows(DatasetFormatException.class, () -> TextFileDatasets.load(latin1, TextFileOptions.defaults()));
        assertMessage(e, "latin1.csv", "not UTF-8");
    }
}
