package org.layerfuse.weights.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.weights.hf.HuggingFaceFolder;
import org.layerfuse.weights.hf.HuggingFaceFolderWriter;
import org.layerfuse.weights.onnx.OnnxBertExporter;

/**
 * Writes a model folder for deployment: {@code config.json} (with {@code id2label}), the
 * tokenizer file the model came with, and {@code model.safetensors} and/or {@code model.onnx}.
 * The folder is staged and renamed into place ({@link StagedFolder}): a failed export leaves
 * nothing half-written, and a non-empty target is refused unless {@code overwrite}.
 */
public final class ModelExport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelExport() {
    }

    /**
     * @param weights       the model as plain weights (a pruned model: {@code BertModel.exportWeights()},
     *                      which keeps only the live layers)
     * @param tokenizerFile tokenizer.json or vocab.txt to copy beside the model, or null
     */
    public static void write(BertWeights weights, Path tokenizerFile, Path target, ExportFormat format,
                             boolean overwrite) {
        if (tokenizerFile != null && !Files.isRegularFile(tokenizerFile)) {
            throw new IllegalArgumentException(tokenizerFile + ": tokenizer file not found");
        }
        try (StagedFolder staged = StagedFolder.begin(target, overwrite)) {
            Path dir = staged.dir();
            if (format.hf()) {
                HuggingFaceFolderWriter.writeFiles(weights, tokenizerFile, dir);
            } else {
                Files.write(dir.resolve(HuggingFaceFolder.CONFIG),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(weights.config().toJson()));
                HuggingFaceFolderWriter.copyTokenizer(tokenizerFile, dir);
            }
            if (format.onnx()) {
                OnnxBertExporter.write(weights, dir.resolve(OnnxBertExporter.MODEL_FILE));
            }
            staged.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": exporting the model failed: " + e.getMessage(), e);
        }
    }
}
