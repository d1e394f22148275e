package org.layerfuse.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.tokenizer.WordPieceTokenizer;
import org.layerfuse.weights.artifact.MiniLmArtifact;
import org.layerfuse.weights.hf.HuggingFaceFolder;
import org.layerfuse.weights.onnx.OnnxBertExporter;
import org.layerfuse.weights.onnx.OnnxBertImporter;
import org.layerfuse.weights.tf.EasyBertArchive;
import org.layerfuse.weights.tf.TfBertImporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real pretrained encoders, each with its own tokenizer:
 * <ul>
 *   <li>{@code minilm} — all-MiniLM-L6-v2 (6 layers, H = 384) from the Maven artifact
 *       {@value MiniLmArtifact#COORDINATES}: ONNX weights and tokenizer.json;</li>
 *   <li>{@code bert-base} — Google's BERT-base uncased (12 layers, H = 768), the paper's
 *       model, from {@value EasyBertArchive#COORDINATES}: a TensorFlow SavedModel's
 *       TensorBundle and vocab.txt;</li>
 *   <li>a path — a Hugging Face model folder (config.json, model.safetensors, tokenizer.json
 *       or vocab.txt), such as one written by {@code layerfuse prune}.</li>
 * </ul>
 * Artifacts are resolved through Maven coordinates and extracted once into the cache;
 * nothing is fetched from a model hub.
 */
public final class PretrainedModels {

    private static final Logger LOG = LoggerFactory.getLogger(PretrainedModels.class);

    /** Reads a model's weights from its files. */
    @FunctionalInterface
    interface WeightsLoader {
        BertWeights load() throws IOException;
    }

    /**
     * A loaded encoder.
     *
     * <p>Built by {@link #load}, it keeps its weights only weakly and reads them again from the
     * (cached) checkpoint if they were collected: a run turns them into its model's native arrays
     * once, and holding the Java copy for the rest of the run would keep it resident for nothing
     * (BERT-base: 0.44 GB of heap, the largest single item of a prune run's memory after the model
     * itself). The public constructor keeps them strongly.
     */
    public static final class Pretrained {
        private final String name;
        private final WordPieceTokenizer tokenizer;
        private final Path tokenizerFile;
        private final Path onnxFile;
        private final BertWeights strong;
        private final WeightsLoader loader;
        private WeakReference<BertWeights> weak;

        /**
         * @param tokenizerFile the tokenizer.json or vocab.txt it came with (copied on export)
         * @param onnxFile      an ONNX file of the same weights (an independent reference), or null
         */
        public Pretrained(String name, BertWeights weights, WordPieceTokenizer tokenizer, Path tokenizerFile,
                          Path onnxFile) {
            this(name, weights, null, tokenizer, tokenizerFile, onnxFile);
        }

        private Pretrained(String name, BertWeights weights, WeightsLoader loader, WordPieceTokenizer tokenizer,
                           Path tokenizerFile, Path onnxFile) {
            this.name = name;
            this.tokenizer = tokenizer;
            this.tokenizerFile = tokenizerFile;
            this.onnxFile = onnxFile;
            this.loader = loader;
            this.strong = loader == null ? weights : null;
            this.weak = new WeakReference<>(weights);
        }

        static Pretrained reloadable(String name, WeightsLoader loader, WordPieceTokenizer tokenizer, Path tokenizerFile,
                                     Path onnxFile) throws IOException {
            return new Pretrained(name, loader.load(), loader, tokenizer, tokenizerFile, onnxFile);
        }

        public String name() {
            return name;
        }

        /** The weights, read again from the checkpoint if nothing held them since the last call. */
        public synchronized BertWeights weights() {
            if (strong != null) {
                return strong;
            }
            BertWeights w = weak.get();
            if (w == null) {
                LOG.info("{}: reading the weights again from the checkpoint", name);
                try {
                    w = loader.load();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read the weights of '" + name + "' again: " + e.getMessage(), e);
                }
                weak = new WeakReference<>(w);
            }
            return w;
        }

        public WordPieceTokenizer tokenizer() {
            return tokenizer;
        }

        public Path tokenizerFile() {
            return tokenizerFile;
        }

        public Path onnxFile() {
            return onnxFile;
        }

        @Override
        public String toString() {
            return "Pretrained[" + name + ", tokenizer " + tokenizerFile + "]";
        }
    }

    public static final List<String> NAMES = List.of("minilm", "bert-base");

    private PretrainedModels() {
    }

    /** Loads a model by name or folder; an unknown name lists the valid ones. */
    public static Pretrained load(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        try {
            if (n.equals("minilm") || n.equals("all-minilm-l6-v2")) {
                MiniLmArtifact.ModelFiles files = MiniLmArtifact.files();
                return Pretrained.reloadable("minilm", () -> OnnxBertImporter.load(files.onnx()),
                        WordPieceTokenizer.fromTokenizerJson(files.tokenizerJson()), files.tokenizerJson(), files.onnx());
            }
            if (n.equals("bert-base") || n.equals("bert-base-uncased")) {
                Path dir = EasyBertArchive.savedModelDir();
                Path vocab = dir.resolve("assets").resolve("vocab.txt");
                return Pretrained.reloadable("bert-base", () -> TfBertImporter.loadSavedModel(dir),
                        WordPieceTokenizer.fromVocabTxt(vocab, true), vocab, null);
            }
            Path folder = Path.of(name);
            if (Files.isDirectory(folder)) {
                return loadFolder(folder);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not load model '" + name + "': " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; valid names: " + String.join(", ", NAMES)
                + ", or the path of a model folder (Hugging Face safetensors or LayerFuse ONNX export)");
    }

    /**
     * A model folder: Hugging Face's (config.json + model.safetensors), or an ONNX export
     * (model.onnx, read by {@link OnnxBertImporter}); either with tokenizer.json or vocab.txt.
     */
    private static Pretrained loadFolder(Path folder) throws IOException {
        Path onnx = folder.resolve(OnnxBertExporter.MODEL_FILE);
        boolean hasSafetensors = Files.isRegularFile(folder.resolve(HuggingFaceFolder.WEIGHTS))
                || Files.isRegularFile(folder.resolve(HuggingFaceFolder.WEIGHTS_INDEX));
        Path tokenizerFile = Files.isRegularFile(folder.resolve(HuggingFaceFolder.TOKENIZER_JSON))
                ? folder.resolve(HuggingFaceFolder.TOKENIZER_JSON)
                : Files.isRegularFile(folder.resolve(HuggingFaceFolder.VOCAB_TXT)) ? folder.resolve(HuggingFaceFolder.VOCAB_TXT)
                : null;
        WeightsLoader weights = hasSafetensors || !Files.isRegularFile(onnx) ? () -> HuggingFaceFolder.load(folder)
                : () -> OnnxBertImporter.load(onnx);
        if (tokenizerFile == null) {
            throw new IllegalArgumentException(folder + ": no tokenizer.json or vocab.txt");
        }
        WordPieceTokenizer tokenizer = tokenizerFile.getFileName().toString().equals(HuggingFaceFolder.VOCAB_TXT)
                ? WordPieceTokenizer.fromVocabTxt(tokenizerFile, lowerCase(folder))
                : WordPieceTokenizer.fromTokenizerJson(tokenizerFile);
        String label = folder.getFileName() == null ? folder.toString() : folder.getFileName().toString();
        return Pretrained.reloadable(label, weights, tokenizer, tokenizerFile, Files.isRegularFile(onnx) ? onnx : null);
    }

    /** {@code do_lower_case} of tokenizer_config.json, true (uncased) when absent. */
    private static boolean lowerCase(Path folder) throws IOException {
        Path config = folder.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return true;
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile()).path("do_lower_case")
                .asBoolean(true);
    }
}
