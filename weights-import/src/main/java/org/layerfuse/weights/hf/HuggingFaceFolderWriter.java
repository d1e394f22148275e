package org.layerfuse.weights.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.Tensor;
import org.layerfuse.weights.export.StagedFolder;
import org.layerfuse.weights.safetensors.SafetensorsWriter;

/**
 * Writes {@link BertWeights} as a Hugging Face model folder: {@code config.json}
 * ({@link org.layerfuse.bert.BertConfig#toJson}), {@code model.safetensors} (float32, HF names in
 * sorted order, matrices transposed back to {@code [out, in]}) and a copy of the tokenizer file
 * as {@code tokenizer.json} or {@code vocab.txt}. What {@link HuggingFaceFolder} reads back is
 * bitwise the same.
 *
 * <p>The folder is assembled in a temporary directory beside the target and renamed into place,
 * so the target is either the old folder or the complete new one. A non-empty target is refused
 * unless {@code overwrite} is set.
 */
public final class HuggingFaceFolderWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceFolderWriter() {
    }

    /**
     * @param tokenizerFile a {@code *.json} tokenizer (copied as tokenizer.json) or a vocabulary
     *                      (copied as vocab.txt); null to write the weights and config only
     */
    public static void write(BertWeights weights, Path tokenizerFile, Path target, boolean overwrite) {
        if (tokenizerFile != null && !Files.isRegularFile(tokenizerFile)) {
            throw new IllegalArgumentException(tokenizerFile + ": tokenizer file not found");
        }
        try (StagedFolder staged = StagedFolder.begin(target, overwrite)) {
            writeFiles(weights, tokenizerFile, staged.dir());
            staged.commit();
        }
    }

    /** Writes config.json, model.safetensors and the tokenizer into an existing folder (e.g. a staged one). */
    public static void writeFiles(BertWeights weights, Path tokenizerFile, Path dir) {
        try {
            Files.write(dir.resolve(HuggingFaceFolder.CONFIG),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(weights.config().toJson()));
            SafetensorsWriter.write(dir.resolve(HuggingFaceFolder.WEIGHTS), entries(weights),
                    SafetensorsWriter.PYTORCH_METADATA);
            copyTokenizer(tokenizerFile, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": writing the model folder failed: " + e.getMessage(), e);
        }
    }

    /** Copies a tokenizer file as tokenizer.json or vocab.txt (nothing for null); an existing copy is kept. */
    public static void copyTokenizer(Path tokenizerFile, Path dir) throws IOException {
        if (tokenizerFile == null) {
            return;
        }
        String name = tokenizerFile.getFileName().toString().endsWith(".json")
                ? HuggingFaceFolder.TOKENIZER_JSON : HuggingFaceFolder.VOCAB_TXT;
        if (!Files.exists(dir.resolve(name))) {
            Files.copy(tokenizerFile, dir.resolve(name));
        }
    }

    /** HF names in sorted order; each matrix is transposed only when the writer reaches it. */
    private static List<SafetensorsWriter.Entry> entries(BertWeights weights) {
        Map<String, String> byHfName = new TreeMap<>();
        weights.tensors().keySet().forEach(ours -> byHfName.put(HuggingFaceParamNames.toHuggingFace(ours), ours));
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        byHfName.forEach((hf, ours) -> {
            Tensor t = weights.get(ours);
            if (HuggingFaceParamNames.isMatrix(ours)) {
                long[] s = t.shape();
                entries.add(new SafetensorsWriter.Entry(hf, new long[] {s[1], s[0]}, () -> t.transpose().data()));
            } else {
                entries.add(SafetensorsWriter.Entry.of(hf, t));
            }
        });
        return entries;
    }
}
