package org.layerfuse.weights.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.Tensor;
import org.layerfuse.weights.safetensors.SafetensorsReader;

/**
 * A Hugging Face model folder holding a BERT: {@code config.json}, the weights as
 * {@code model.safetensors} (or shards listed by {@code model.safetensors.index.json}) and a
 * tokenizer ({@code tokenizer.json} or {@code vocab.txt}). Names map through
 * {@link HuggingFaceParamNames}, {@code [out, in]} weights are transposed to our kernels, and the
 * result goes through {@link BertWeights#validated}. PyTorch pickles ({@code pytorch_model.bin})
 * are refused: unpickling can run code and needs a Python runtime.
 *
 * @param weightFiles   the safetensors file(s), in shard order
 * @param tokenizerFile {@code tokenizer.json} if present, else {@code vocab.txt}, else null
 */
public record HuggingFaceFolder(Path dir, Path configFile, List<Path> weightFiles, Path tokenizerFile) {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String VOCAB_TXT = "vocab.txt";
    private static final ObjectMapper JSON = new ObjectMapper();

    public HuggingFaceFolder {
        weightFiles = List.copyOf(weightFiles);
    }

    /** Finds the folder's files; nothing is read yet beyond the shard index. */
    public static HuggingFaceFolder open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a directory; expected a Hugging Face model folder with "
                    + CONFIG + " and " + WEIGHTS);
        }
        Path config = dir.resolve(CONFIG);
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException(dir + ": no " + CONFIG + "; a Hugging Face model folder needs "
                    + CONFIG + " and " + WEIGHTS);
        }
        List<Path> weights;
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
            weights = List.of(dir.resolve(WEIGHTS));
        } else if (Files.isRegularFile(dir.resolve(WEIGHTS_INDEX))) {
            weights = List.copyOf(shards(dir.resolve(WEIGHTS_INDEX)).keySet());
        } else {
            for (String pickle : List.of("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5")) {
                if (Files.exists(dir.resolve(pickle))) {
                    throw new IllegalArgumentException(dir + ": has " + pickle + " but no " + WEIGHTS + "; only"
                            + " safetensors weights are supported (PyTorch pickles can run code when loaded)."
                            + " Convert once with transformers: AutoModel.from_pretrained(dir)"
                            + ".save_pretrained(dir, safe_serialization=True)");
                }
            }
            throw new IllegalArgumentException(dir + ": no " + WEIGHTS + " (or " + WEIGHTS_INDEX
                    + " for sharded weights)");
        }
        Path tokenizer = Files.isRegularFile(dir.resolve(TOKENIZER_JSON)) ? dir.resolve(TOKENIZER_JSON)
                : Files.isRegularFile(dir.resolve(VOCAB_TXT)) ? dir.resolve(VOCAB_TXT) : null;
        return new HuggingFaceFolder(dir, config, weights, tokenizer);
    }

    /** Reads a folder's BERT weights. */
    public static BertWeights load(Path dir) {
        return open(dir).load();
    }

    /** The model's config, from {@code config.json}; errors name the file and the key. */
    public BertConfig config() {
        return BertConfig.fromJson(configFile);
    }

    /** Reads every weight file, maps the names, transposes matrices and validates the whole. */
    public BertWeights load() {
        BertConfig config = config();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>(); // our name -> "file: HF name", for duplicate errors
        Map<Path, List<String>> expected = Files.isRegularFile(dir.resolve(WEIGHTS)) ? null
                : shards(dir.resolve(WEIGHTS_INDEX));
        for (Path file : weightFiles) {
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                if (expected != null) {
                    for (String name : expected.get(file)) {
                        if (!r.entries().containsKey(name)) {
                            throw new IllegalArgumentException(dir.resolve(WEIGHTS_INDEX) + ": tensor '" + name
                                    + "' is mapped to " + file.getFileName() + ", which does not hold it");
                        }
                    }
                }
                for (String hf : r.entries().keySet()) {
                    if (HuggingFaceParamNames.isIgnored(hf)) {
                        continue;
                    }
                    String ours = HuggingFaceParamNames.fromHuggingFace(hf);
                    if (ours == null) {
                        throw new IllegalArgumentException(file + ": tensor '" + hf + "' is not a parameter of a"
                                + " Hugging Face BertModel or BertForSequenceClassification");
                    }
                    String previous = origin.put(ours, file.getFileName() + ": " + hf);
                    if (previous != null) {
                        throw new IllegalArgumentException(file + ": tensor '" + hf + "' and " + previous
                                + " both map to " + ours);
                    }
                    Tensor t = r.readFloat(hf);
                    if (HuggingFaceParamNames.isMatrix(ours)) {
                        if (t.rank() != 2) {
                            throw new IllegalArgumentException(file + ": tensor '" + hf + "' should be a matrix"
                                    + " [out, in], has shape " + java.util.Arrays.toString(t.shape()));
                        }
                        t = t.transpose();
                    }
                    tensors.put(ours, t);
                }
            }
        }
        return BertWeights.validated(config, tensors, dir.toString());
    }

    /** Shard file to the tensor names the index's {@code weight_map} assigns it, in file-name order. */
    private static Map<Path, List<String>> shards(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(index + ": not readable as JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new IllegalArgumentException(index + ": no 'weight_map' object (tensor name -> shard file)");
        }
        Path dir = index.toAbsolutePath().normalize().getParent();
        Map<Path, List<String>> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            Path file = dir.resolve(shard).normalize();
            if (!e.getValue().isTextual() || !dir.equals(file.getParent())) {
                throw new IllegalArgumentException(index + ": tensor '" + e.getKey() + "' maps to '" + e.getValue()
                        + "', expected a file name in the same folder");
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(index + ": shard '" + shard + "' (of tensor '" + e.getKey()
                        + "') is missing");
            }
            out.computeIfAbsent(file, f -> new ArrayList<>()).add(e.getKey());
        }
        return out;
    }
}
