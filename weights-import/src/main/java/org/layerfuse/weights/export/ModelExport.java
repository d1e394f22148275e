package org.layerfuse.weights.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
        write(weights, tokenizerFile, target, format, overwrite, Map.of());
    }

    /**
     * @param extraFiles more files for the folder by relative path (e.g. sentence-transformers'
     *                   {@code modules.json}), written in the same staged folder
     */
    public static void write(BertWeights weights, Path tokenizerFile, Path target, ExportFormat format,
                             boolean overwrite, Map<String, byte[]> extraFiles) {
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
            for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
                Path file = dir.resolve(e.getKey()).normalize();
                if (!file.startsWith(dir)) {
                    throw new IllegalArgumentException("extra file '" + e.getKey() + "' is outside the model folder");
                }
                Files.createDirectories(file.getParent());
                Files.write(file, e.getValue());
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
