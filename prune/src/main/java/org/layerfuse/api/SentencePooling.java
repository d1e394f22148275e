package org.layerfuse.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How token vectors become one sentence vector, as sentence-transformers configures it: the
 * pooling mode of {@code 1_Pooling/config.json} ({@code pooling_mode_mean_tokens} or
 * {@code pooling_mode_cls_token}) and L2 normalisation when {@code modules.json} lists a
 * {@code Normalize} module. A folder without these files gets sentence-transformers' own default
 * for a plain transformer (mean, not normalised); the embedded all-MiniLM-L6-v2 gets its
 * published configuration (mean, normalised).
 *
 * @param mode      MEAN over the real (non-padding) tokens, or CLS (the first token)
 * @param normalize whether vectors are scaled to unit L2 norm
 */
public record SentencePooling(Mode mode, boolean normalize) {

    /** Which tokens a sentence vector is made of. */
    public enum Mode { MEAN, CLS }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** all-MiniLM-L6-v2's modules: Transformer, Pooling (mean), Normalize. */
    public static final SentencePooling MINILM = new SentencePooling(Mode.MEAN, true);

    public SentencePooling {
        if (mode == null) {
            throw new IllegalArgumentException("pooling mode is required");
        }
    }

    /**
     * The pooling a model defines, if it defines one: the embedded MiniLM, or a folder with
     * sentence-transformers' {@code modules.json} or {@code 1_Pooling/config.json}.
     */
    public static java.util.Optional<SentencePooling> configured(String nameOrPath) {
        String n = nameOrPath.toLowerCase(Locale.ROOT);
        Path dir = Path.of(nameOrPath);
        boolean files = Files.isDirectory(dir) && (Files.isRegularFile(dir.resolve("modules.json"))
                || Files.isRegularFile(dir.resolve("1_Pooling").resolve("config.json")));
        return n.equals("minilm") || n.equals("all-minilm-l6-v2") || files ? java.util.Optional.of(of(nameOrPath))
                : java.util.Optional.empty();
    }

    /**
     * This pooling as sentence-transformers' files ({@code modules.json}, {@code 1_Pooling/config.json}),
     * so that an exported folder keeps it for {@link SentenceEncoder} and for Python users alike.
     */
    public java.util.Map<String, byte[]> sentenceTransformersFiles(int dimension) {
        com.fasterxml.jackson.databind.node.ArrayNode modules = JSON.createArrayNode();
        module(modules, 0, "", "Transformer");
        module(modules, 1, "1_Pooling", "Pooling");
        if (normalize) {
            module(modules, 2, "2_Normalize", "Normalize");
        }
        com.fasterxml.jackson.databind.node.ObjectNode pooling = JSON.createObjectNode();
        pooling.put("word_embedding_dimension", dimension);
        pooling.put("pooling_mode_cls_token", mode == Mode.CLS);
        pooling.put("pooling_mode_mean_tokens", mode == Mode.MEAN);
        pooling.put("pooling_mode_max_tokens", false);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        try {
            return java.util.Map.of("modules.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(modules),
                    "1_Pooling/config.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(pooling));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void module(com.fasterxml.jackson.databind.node.ArrayNode modules, int idx, String path,
                               String type) {
        com.fasterxml.jackson.databind.node.ObjectNode m = modules.addObject();
        m.put("idx", idx);
        m.put("name", String.valueOf(idx));
        m.put("path", path);
        m.put("type", "sentence_transformers.models." + type);
    }

    /** The pooling of a model given by name or folder. */
    static SentencePooling of(String nameOrPath) {
        String n = nameOrPath.toLowerCase(Locale.ROOT);
        if (n.equals("minilm") || n.equals("all-minilm-l6-v2")) {
            return MINILM;
        }
        Path dir = Path.of(nameOrPath);
        return Files.isDirectory(dir) ? read(dir) : new SentencePooling(Mode.MEAN, false);
    }

    /** Reads {@code modules.json} and {@code 1_Pooling/config.json} where present. */
    static SentencePooling read(Path dir) {
        Path modules = dir.resolve("modules.json");
        Mode mode = Mode.MEAN;
        boolean normalize = false;
        Path poolingConfig = dir.resolve("1_Pooling").resolve("config.json");
        if (Files.isRegularFile(modules)) {
            JsonNode list = json(modules);
            if (!list.isArray()) {
                throw new IllegalArgumentException(modules + ": expected a JSON array of modules");
            }
            for (JsonNode m : list) {
                String type = m.path("type").asText("");
                if (type.endsWith(".Normalize")) {
                    normalize = true;
                } else if (type.endsWith(".Pooling") && m.hasNonNull("path")) {
                    poolingConfig = dir.resolve(m.get("path").asText()).resolve("config.json");
                }
            }
        }
        if (Files.isRegularFile(poolingConfig)) {
            JsonNode c = json(poolingConfig);
            boolean mean = c.path("pooling_mode_mean_tokens").asBoolean(false);
            boolean cls = c.path("pooling_mode_cls_token").asBoolean(false);
            for (String other : new String[] {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                    "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
                if (c.path(other).asBoolean(false)) {
                    throw new IllegalArgumentException(poolingConfig + ": " + other + " is not supported; expected"
                            + " pooling_mode_mean_tokens or pooling_mode_cls_token");
                }
            }
            if (mean == cls) {
                throw new IllegalArgumentException(poolingConfig + ": expected exactly one of pooling_mode_mean_tokens"
                        + " and pooling_mode_cls_token to be true");
            }
            mode = cls ? Mode.CLS : Mode.MEAN;
        }
        return new SentencePooling(mode, normalize);
    }

    private static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The sentence vector of row {@code r} of a {@code [batch, seq, hidden]} output.
     *
     * @param mask the row's attention mask (1 for real tokens)
     */
    float[] pool(float[] hidden, int r, int seq, int dim, int[] mask) {
        double[] sum = new double[dim];
        int base = r * seq * dim;
        if (mode == Mode.CLS) {
            for (int j = 0; j < dim; j++) {
                sum[j] = hidden[base + j];
            }
        } else {
            int n = 0;
            for (int t = 0; t < seq; t++) {
                if (mask[t] == 1) {
                    n++;
                    for (int j = 0; j < dim; j++) {
                        sum[j] += hidden[base + t * dim + j];
                    }
                }
            }
            for (int j = 0; j < dim; j++) {
                sum[j] /= Math.max(1, n);
            }
        }
        double scale = 1;
        if (normalize) {
            double sq = 0;
            for (double v : sum) {
                sq += v * v;
            }
            // sentence-transformers' Normalize: x / max(‖x‖, 1e-12)
            scale = 1 / Math.max(Math.sqrt(sq), 1e-12);
        }
        float[] out = new float[dim];
        for (int j = 0; j < dim; j++) {
            out[j] = (float) (sum[j] * scale);
        }
        return out;
    }
}
