package org.layerfuse.weights.hf;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.layerfuse.bert.ParamNames;

/**
 * Hugging Face's BERT parameter names ({@code BertModel} under {@code bert.}, the
 * {@code BertForSequenceClassification} head as {@code classifier.*}) and their {@link ParamNames}
 * equivalents, both ways. HF linear weights are {@code [out, in]}: every name that
 * {@link #isMatrix} is transposed on the way in and out. Reading also accepts names without the
 * {@code bert.} prefix (a bare {@code BertModel}) and old layer norms named {@code gamma}/{@code beta}.
 */
public final class HuggingFaceParamNames {

    public static final String PREFIX = "bert.";
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.(.+)");
    private static final Pattern OUR_LAYER = Pattern.compile("layer\\.(\\d+)\\.(.+)");

    /** Per-layer names: ours (after {@code layer.N.}) to HF's (after {@code encoder.layer.N.}). */
    private static final Map<String, String> LAYER_PARTS = Map.ofEntries(
            Map.entry("attention.query.kernel", "attention.self.query.weight"),
            Map.entry("attention.query.bias", "attention.self.query.bias"),
            Map.entry("attention.key.kernel", "attention.self.key.weight"),
            Map.entry("attention.key.bias", "attention.self.key.bias"),
            Map.entry("attention.value.kernel", "attention.self.value.weight"),
            Map.entry("attention.value.bias", "attention.self.value.bias"),
            Map.entry("attention.output.kernel", "attention.output.dense.weight"),
            Map.entry("attention.output.bias", "attention.output.dense.bias"),
            Map.entry("attention.ln.gamma", "attention.output.LayerNorm.weight"),
            Map.entry("attention.ln.beta", "attention.output.LayerNorm.bias"),
            Map.entry("ffn.intermediate.kernel", "intermediate.dense.weight"),
            Map.entry("ffn.intermediate.bias", "intermediate.dense.bias"),
            Map.entry("ffn.output.kernel", "output.dense.weight"),
            Map.entry("ffn.output.bias", "output.dense.bias"),
            Map.entry("ffn.ln.gamma", "output.LayerNorm.weight"),
            Map.entry("ffn.ln.beta", "output.LayerNorm.bias"));

    /** Names outside the layers: ours to HF's (with the prefix where HF has one). */
    private static final Map<String, String> GLOBAL = Map.of(
            ParamNames.WORD_EMBEDDINGS, PREFIX + "embeddings.word_embeddings.weight",
            ParamNames.POSITION_EMBEDDINGS, PREFIX + "embeddings.position_embeddings.weight",
            ParamNames.TOKEN_TYPE_EMBEDDINGS, PREFIX + "embeddings.token_type_embeddings.weight",
            ParamNames.EMBEDDINGS_LN_GAMMA, PREFIX + "embeddings.LayerNorm.weight",
            ParamNames.EMBEDDINGS_LN_BETA, PREFIX + "embeddings.LayerNorm.bias",
            ParamNames.POOLER_KERNEL, PREFIX + "pooler.dense.weight",
            ParamNames.POOLER_BIAS, PREFIX + "pooler.dense.bias",
            ParamNames.CLASSIFIER_KERNEL, "classifier.weight",
            ParamNames.CLASSIFIER_BIAS, "classifier.bias");

    private static final Map<String, String> LAYER_PARTS_BACK = invert(LAYER_PARTS);
    private static final Map<String, String> GLOBAL_BACK = invert(GLOBAL);

    private HuggingFaceParamNames() {
    }

    /** True for our matrices ({@code *.kernel}), stored transposed by Hugging Face. */
    public static boolean isMatrix(String ourName) {
        return ourName.endsWith(".kernel");
    }

    /** The Hugging Face name of one of our parameters. */
    public static String toHuggingFace(String ourName) {
        String global = GLOBAL.get(ourName);
        if (global != null) {
            return global;
        }
        Matcher m = OUR_LAYER.matcher(ourName);
        String part = m.matches() ? LAYER_PARTS.get(m.group(2)) : null;
        if (part == null) {
            throw new IllegalArgumentException("'" + ourName + "' is not a LayerFuse BERT parameter name");
        }
        return PREFIX + "encoder.layer." + m.group(1) + "." + part;
    }

    /**
     * Our name for a Hugging Face tensor name, or null if it is not a BERT encoder or
     * classification-head parameter (see {@link #isIgnored} for the ones skipped silently).
     */
    public static String fromHuggingFace(String hfName) {
        String name = hfName;
        if (name.endsWith("LayerNorm.gamma")) {
            name = name.substring(0, name.length() - "gamma".length()) + "weight";
        } else if (name.endsWith("LayerNorm.beta")) {
            name = name.substring(0, name.length() - "beta".length()) + "bias";
        }
        String global = GLOBAL_BACK.get(name);
        if (global == null && !name.startsWith(PREFIX)) {
            global = GLOBAL_BACK.get(PREFIX + name);
        }
        if (global != null) {
            return global;
        }
        String bare = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        Matcher m = LAYER.matcher(bare);
        String part = m.matches() ? LAYER_PARTS_BACK.get(m.group(2)) : null;
        return part == null ? null : ParamNames.layer(Integer.parseInt(m.group(1))) + part;
    }

    /**
     * Tensors a Hugging Face BERT checkpoint may hold that are not parameters of the encoder or
     * its classification head: pre-training heads ({@code cls.*}) and the {@code position_ids}
     * and {@code token_type_ids} buffers.
     */
    public static boolean isIgnored(String hfName) {
        return hfName.startsWith("cls.") || hfName.endsWith("embeddings.position_ids")
                || hfName.endsWith("embeddings.token_type_ids");
    }

    private static Map<String, String> invert(Map<String, String> map) {
        Map<String, String> out = new java.util.HashMap<>();
        map.forEach((k, v) -> out.put(v, k));
        return Map.copyOf(out);
    }
}
