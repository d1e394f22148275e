package org.layerfuse.prune.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.layerfuse.api.InferenceOptions;
import org.layerfuse.api.TextClassifier;
import org.layerfuse.engine.Progress;
import org.layerfuse.prune.data.ColumnSpec;
import org.layerfuse.prune.data.TextFileDatasets;
import org.layerfuse.prune.data.TextFileFormat;
import org.layerfuse.prune.data.TextRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code layerfuse predict}: labels for every record of a data file from a classifier folder,
 * written as CSV. The whole file is read and checked before the model runs, and the CSV is
 * written to a temporary file moved into place at the end, so a bad record or a failure
 * leaves no partial output.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Predict a label for every record of a CSV/TSV/JSONL/parquet file with a classifier folder "
                + "(written by layerfuse prune or layerfuse export). Writes one CSV row per record: its number, where "
                + "it is in the file, the predicted label and the probability of each class."})
public final class PredictCommand implements Callable<Integer> {

    /** Texts per classify call: the progress bar's step; each call batches internally. */
    private static final int CHUNK = 256;

    @Option(names = "--model", required = true, paramLabel = "<folder>",
            description = "A classifier model folder (model.safetensors or model.onnx, config.json with id2label, tokenizer).")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "<file>",
            description = "Records to label: a CSV, TSV, JSONL or parquet file.")
    Path data;

    @Option(names = "--text-column", defaultValue = "text", description = "Text column (default: ${DEFAULT-VALUE}).")
    String textColumn;

    @Option(names = "--pair-column", description = "Optional second-text column (sentence pairs).")
    String pairColumn;

    @Option(names = "--out", defaultValue = "predictions.csv", description = "Output CSV (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--overwrite", description = "Replace an existing --out file.")
    boolean overwrite;

    @Option(names = "--batch-size", defaultValue = "32", description = "Texts per forward call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-length", defaultValue = "0",
            description = "Tokens per text after truncation; 0 = the model's limit (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--engine", defaultValue = "fused", paramLabel = "fused|onnxruntime",
            description = "What runs the forward: LayerFuse's fused forward, or ONNX Runtime on the model's ONNX "
                    + "export (faster for batches of a few texts) (default: ${DEFAULT-VALUE}).")
    String engine;

    @Mixin
    RuntimeOptions runtime;

    /** The engine named by {@code --engine}. */
    static InferenceOptions.Engine engine(String name) {
        return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "fused" -> InferenceOptions.Engine.FUSED;
            case "onnxruntime", "onnx-runtime", "ort" -> InferenceOptions.Engine.ONNX_RUNTIME;
            default -> throw new IllegalArgumentException("--engine: expected fused or onnxruntime, got '" + name
                    + "'");
        };
    }

    @Override
    public Integer call() throws IOException {
        if (Files.exists(out) && !overwrite) {
            throw new IllegalArgumentException(out + ": exists; refusing to overwrite it (choose another --out or pass"
                    + " --overwrite)");
        }
        InferenceOptions options = InferenceOptions.defaults().withBatchSize(batchSize).withMaxLength(maxLength)
                .withEngine(engine(engine));
        List<TextRecord> records;
        try {
            records = TextFileDatasets.readTexts(data, ColumnSpec.unlabelled(textColumn, pairColumn), null);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        runtime.start();
        try (TextClassifier classifier = TextClassifier.load(model, options)) {
            List<TextClassifier.Prediction> predictions = new ArrayList<>(records.size());
            try (Progress progress = new Progress("predict", records.size())) {
                for (int from = 0; from < records.size(); from += CHUNK) {
                    List<TextRecord> chunk = records.subList(from, Math.min(records.size(), from + CHUNK));
                    List<String> texts = chunk.stream().map(TextRecord::text).toList();
                    predictions.addAll(pairColumn == null ? classifier.classify(texts)
                            : classifier.classifyPairs(texts, chunk.stream().map(TextRecord::textPair).toList()));
                    progress.step(chunk.size(), "");
                }
            }
            write(records, predictions, classifier.labels());
            System.out.printf(Locale.ROOT, "%d predictions (%s) written to %s%n", predictions.size(),
                    String.join(", ", classifier.labels()), out);
        }
        return 0;
    }

    private void write(List<TextRecord> records, List<TextClassifier.Prediction> predictions, List<String> labels) {
        List<String> header = new ArrayList<>(List.of("row", "source", "label"));
        labels.forEach(l -> header.add("p_" + l));
        Path target = out.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                 CSVPrinter csv = CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).get().print(w)) {
                for (int i = 0; i < records.size(); i++) {
                    TextClassifier.Prediction p = predictions.get(i);
                    List<Object> row = new ArrayList<>(List.of(i + 1, records.get(i).where(), p.label()));
                    for (double v : p.probabilities()) {
                        row.add(String.format(Locale.ROOT, "%.6f", v));
                    }
                    csv.printRecord(row);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": writing predictions failed: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // hidden temporary file named after the target
                }
            }
        }
    }
}
