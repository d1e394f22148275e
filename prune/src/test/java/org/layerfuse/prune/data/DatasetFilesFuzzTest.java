package org.layerfuse.prune.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * Data files as outside bytes, one target per format: each loads as a labelled dataset, or fails
 * with a {@link DatasetFormatException} (or IllegalArgumentException) naming the file and the
 * row, column or field. Seeds ({@code DatasetFilesFuzzTestInputs/<method>/}) are small real files.
 */
class DatasetFilesFuzzTest {

    private static final ColumnSpec COLUMNS = new ColumnSpec("text", null, "label");
    private static final Path CSV = FormatErrorContract.scratchFile("input.csv");
    private static final Path TSV = FormatErrorContract.scratchFile("input.tsv");
    private static final Path JSONL = FormatErrorContract.scratchFile("input.jsonl");
    private static final Path PARQUET = FormatErrorContract.scratchFile("input.parquet");

    private static void load(Path file, byte[] input) throws Exception {
        Files.write(file, input);
        // The dataset is named after the file ("input"): errors name the file or the dataset.
        FormatErrorContract.check("input", () -> TextFileDatasets.load(file, TextFileOptions.of(COLUMNS)),
                DatasetFormatException.class);
    }

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void csv(byte[] input) throws Exception {
        load(CSV, input);
    }

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void tsv(byte[] input) throws Exception {
        load(TSV, input);
    }

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void jsonl(byte[] input) throws Exception {
        load(JSONL, input);
    }

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void parquet(byte[] input) throws Exception {
        load(PARQUET, input);
    }
}
