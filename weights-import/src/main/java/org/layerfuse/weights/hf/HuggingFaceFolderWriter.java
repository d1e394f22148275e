package org.layerfuse.weights.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.Tensor;
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
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new IllegalArgumentException(target + ": exists and is not a directory");
        }
        boolean existing = Files.isDirectory(target) && !isEmpty(target);
        if (existing && !overwrite) {
            throw new IllegalArgumentException(target + ": directory is not empty; refusing to overwrite it"
                    + " (choose another folder or ask for overwrite)");
        }
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
            Files.write(tmp.resolve(HuggingFaceFolder.CONFIG),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(weights.config().toJson()));
            SafetensorsWriter.write(tmp.resolve(HuggingFaceFolder.WEIGHTS), entries(weights),
                    SafetensorsWriter.PYTORCH_METADATA);
            if (tokenizerFile != null) {
                String name = tokenizerFile.getFileName().toString().endsWith(".json")
                        ? HuggingFaceFolder.TOKENIZER_JSON : HuggingFaceFolder.VOCAB_TXT;
                Files.copy(tokenizerFile, tmp.resolve(name));
            }
            install(tmp, target, existing);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": writing the model folder failed: " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
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

    /** Renames the finished folder into place; an old folder is moved aside first and deleted after. */
    private static void install(Path tmp, Path target, boolean existing) throws IOException {
        if (Files.isDirectory(target) && !existing) {
            Files.delete(target); // empty
        }
        Path old = null;
        if (existing) {
            old = Files.createTempDirectory(tmp.getParent(), "." + target.getFileName() + ".old.");
            Files.delete(old);
            move(target, old);
        }
        try {
            move(tmp, target);
        } catch (IOException e) {
            if (old != null) {
                move(old, target);
            }
            throw e;
        }
        deleteQuietly(old);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
