package org.layerfuse.prune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.api.InferenceOptions;
import org.layerfuse.api.SentenceEncoder;
import org.layerfuse.api.SentencePooling;
import org.layerfuse.api.TextClassifier;
import org.layerfuse.prune.SpamClassifierFixture;

/** {@code layerfuse predict} and {@code layerfuse export} end to end, bad input included. */
class DeployCommandsTest {

    @Test
    void predictWritesOneRowPerRecordWithLabelAndProbabilities(@TempDir Path dir) throws Exception {
        SpamClassifierFixture f = SpamClassifierFixture.get();
        Path data = dir.resolve("mail.csv");
        Files.writeString(data, """
                id,body
                1,"Congratulations!!! You have WON a FREE cruise, click here to claim your prize now"
                2,"Hi Bob, are we still on for lunch tomorrow at noon?"
                3,"A message
                over two lines, quoted"
                4,Meeting notes attached; see section 2 for the budget
                """, StandardCharsets.UTF_8);
        Path out = dir.resolve("out/predictions.csv");
        CliErrorsTest.Outcome o = CliErrorsTest.run("predict", "--model", f.folder.toString(), "--data", data.toString(),
                "--text-column", "body", "--out", out.toString(), "--batch-size", "3", "--max-length", "32");
        assertEquals(0, o.code(), o.err());

        List<CSVRecord> rows;
        try (Reader r = Files.newBufferedReader(out)) {
            rows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
        assertEquals(4, rows.size());
        List<String> texts = List.of(
                "Congratulations!!! You have WON a FREE cruise, click here to claim your prize now",
                "Hi Bob, are we still on for lunch tomorrow at noon?", "A message\nover two lines, quoted",
                "Meeting notes attached; see section 2 for the budget");
        try (TextClassifier c = TextClassifier.load(f.folder, InferenceOptions.defaults().withMaxLength(32))) {
            List<TextClassifier.Prediction> expected = c.classify(texts);
            for (int i = 0; i < rows.size(); i++) {
                CSVRecord row = rows.get(i);
                assertEquals(String.valueOf(i + 1), row.get("row"));
                assertEquals(expected.get(i).label(), row.get("label"));
                double sum = 0;
                for (String label : c.labels()) {
                    double p = Double.parseDouble(row.get("p_" + label));
                    assertEquals(expected.get(i).probability(label), p, 1e-6);
                    sum += p;
                }
                assertEquals(1.0, sum, 1e-5);
            }
        }
        assertEquals("line 4", rows.get(2).get("source"), "a record is located by the line it starts on");

        // the same predictions through ONNX Runtime on the model's ONNX export
        Path viaOrt = dir.resolve("out/ort.csv");
        CliErrorsTest.Outcome ort = CliErrorsTest.run("predict", "--model", f.folder.toString(), "--data",
                data.toString(), "--text-column", "body", "--out", viaOrt.toString(), "--max-length", "32",
                "--engine", "onnxruntime");
        assertEquals(0, ort.code(), ort.err());
        List<CSVRecord> ortRows;
        try (Reader r = Files.newBufferedReader(viaOrt)) {
            ortRows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
        assertEquals(rows.size(), ortRows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(rows.get(i).get("label"), ortRows.get(i).get("label"), "row " + (i + 1));
            for (String column : rows.get(i).toMap().keySet()) {
                if (column.startsWith("p_")) {
                    assertEquals(Double.parseDouble(rows.get(i).get(column)),
                            Double.parseDouble(ortRows.get(i).get(column)), 1e-5, "row " + (i + 1) + " " + column);
                }
            }
        }

        CliErrorsTest.Outcome again = CliErrorsTest.run("predict", "--model", f.folder.toString(), "--data",
                data.toString(), "--text-column", "body", "--out", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--overwrite"), again.err());
    }

    @Test
    void aBadRecordIsNamedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        SpamClassifierFixture f = SpamClassifierFixture.get();
        Path data = dir.resolve("bad.csv");
        Files.writeString(data, "text,other\nfine message,1\nanother one,2\n,3\nlast,4\n", StandardCharsets.UTF_8);
        Path out = dir.resolve("predictions.csv");
        CliErrorsTest.Outcome o = CliErrorsTest.run("predict", "--model", f.folder.toString(), "--data", data.toString(),
                "--out", out.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains(data.toString()) && o.err().contains("line 4") && o.err().contains("text")
                && o.err().contains("empty text"), o.err());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(data), s.toList(), "no predictions file, no temporary file");
        }

        Files.writeString(data, "body\nhello\n", StandardCharsets.UTF_8);
        o = CliErrorsTest.run("predict", "--model", f.folder.toString(), "--data", data.toString(), "--out",
                out.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("text") && o.err().contains("no such column"), o.err());
        assertFalse(Files.exists(out));

        o = CliErrorsTest.run("predict", "--model", dir.toString(), "--data", data.toString(), "--text-column", "body",
                "--out", out.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains(dir.toString()), o.err());
        assertFalse(Files.exists(out));

        o = CliErrorsTest.run("predict", "--model", f.folder.toString(), "--data", data.toString(), "--text-column",
                "body", "--out", out.toString(), "--engine", "tensorrt");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--engine") && o.err().contains("tensorrt") && o.err().contains("onnxruntime"),
                o.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void exportRefusesANonEmptyFolderUnlessOverwrite(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("minilm-onnx");
        Files.createDirectories(target);
        Files.writeString(target.resolve("keep.txt"), "mine");
        CliErrorsTest.Outcome o = CliErrorsTest.run("export", "--model", "minilm", "--format", "onnx", "--out",
                target.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("not empty") && o.err().contains("--overwrite"), o.err());
        assertEquals("mine", Files.readString(target.resolve("keep.txt")), "the folder is untouched");

        o = CliErrorsTest.run("export", "--model", "minilm", "--format", "tflite", "--out", target.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("'tflite' is not one of hf, onnx, both"), o.err());

        o = CliErrorsTest.run("export", "--model", "minilm", "--format", "both", "--out", target.toString(),
                "--overwrite");
        assertEquals(0, o.code(), o.err());
        assertFalse(Files.exists(target.resolve("keep.txt")));
        for (String file : List.of("model.onnx", "model.safetensors", "config.json", "tokenizer.json")) {
            assertTrue(Files.isRegularFile(target.resolve(file)), file);
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "no temporary or moved-aside folder left");
        }
        // the export keeps MiniLM's sentence-transformers pooling, so the folder encodes like the original
        try (SentenceEncoder original = SentenceEncoder.load("minilm");
             SentenceEncoder exported = SentenceEncoder.load(target.toString())) {
            assertEquals(SentencePooling.MINILM, exported.pooling());
            List<String> texts = List.of("A deployable encoder.", "Ein Satz auf Deutsch.");
            List<float[]> a = original.encode(texts);
            List<float[]> b = exported.encode(texts);
            for (int i = 0; i < texts.size(); i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.get(i), b.get(i), 1e-6f);
            }
        }
    }

    @Test
    void pruneRefusesAnUnknownExportFormatBeforeAnyWork(@TempDir Path dir) {
        CliErrorsTest.Outcome o = CliErrorsTest.run("prune", "--export", "tflite", "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("'tflite' is not one of hf, onnx, both"), o.err());
        assertTrue(CliErrorsTest.run("prune", "--help").out().contains("--export-dir"));
    }
}
