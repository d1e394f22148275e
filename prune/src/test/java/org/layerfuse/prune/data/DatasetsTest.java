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

class DatasetsTest {

    @TempDir
    Path temp;

    @Test
    void builtInNames() throws IOException {
        assertEquals(List.of("spam-assassin", "spam-assassin-3class"), Datasets.names());
        LabeledDataset three = Datasets.load("spam-assassin-3class", TextFileOptions.defaults());
        assertEquals(List.of("easy-ham", "hard-ham", "spam"), three.labelNames());
        assertEquals(6046, three.size());
        assertEquals(2, Datasets.load("spam-assassin", TextFileOptions.defaults()).numClasses());
    }

    @Test
    void unknownNameListsTheValidOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Datasets.load("imdb", TextFileOptions.defaults()));
        assertTrue(e.getMessage().contains("'imdb'") && e.getMessage().contains("spam-assassin-3class")
                && e.getMessage().contains(".parquet"), e.getMessage());
    }

    @Test
    void pathsAreReadAsFiles() throws IOException {
        Path file = Files.writeString(temp.resolve("tiny.tsv"), "sentence\tstars\ngood\t1\nbad\t0\n");
        LabeledDataset d = Datasets.load(file.toString(), TextFileOptions.of(new ColumnSpec("sentence", "stars")));
        assertEquals(List.of(new Example("good", 1), new Example("bad", 0)), d.examples());
        var missing = assertThrows(DatasetFormatException.class,
                () -> Datasets.load(temp.resolve("gone.csv").toString(), TextFileOptions.defaults()));
        assertTrue(missing.getMessage().contains("gone.csv") && missing.getMessage().contains("no such file"));
    }

    @Test
    void formatsByExtensionAndByName() {
        assertEquals(TextFileFormat.JSONL, TextFileFormat.of(Path.of("a/b.NDJSON")));
        assertEquals(TextFileFormat.PARQUET, TextFileFormat.of(Path.of("train-00000-of-00001.parquet")));
        assertEquals(TextFileFormat.TSV, TextFileFormat.named("tsv"));
        var e = assertThrows(IllegalArgumentException.class, () -> TextFileFormat.of(Path.of("data.xlsx")));
        assertTrue(e.getMessage().contains("data.xlsx") && e.getMessage().contains(".jsonl"), e.getMessage());
    }
}
