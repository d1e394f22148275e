package org.layerfuse.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shape and numerics of a BERT-family encoder, as in a Hugging Face {@code config.json}.
 *
 * @param attentionMaskValue the additive score for padded key positions: Google's TF BERT
 *                           uses −10000, Hugging Face exports use the float minimum. Either
 *                           gives probabilities of exactly 0 for padding in float32.
 * @param labels             class names of the classification head (size = number of labels);
 *                           empty for an encoder without a head.
 */
public record BertConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                         int intermediateSize, Activation hiddenAct, int maxPositionEmbeddings,
                         int typeVocabSize, double layerNormEps, double attentionMaskValue,
                         List<String> labels) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The Hugging Face keys without which a config cannot describe a BERT. */
    public static final List<String> REQUIRED_KEYS = List.of("vocab_size", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "intermediate_size", "max_position_embeddings");

    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " must be a multiple of num_attention_heads "
                    + numAttentionHeads);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layer_norm_eps must be > 0, got " + layerNormEps);
        }
        if (hiddenAct == null) {
            throw new IllegalArgumentException("hidden_act is required");
        }
        labels = labels == null ? List.of() : List.copyOf(labels);
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be > 0, got " + value);
        }
    }

    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    public int numLabels() {
        return labels.size();
    }

    /** The same encoder with a classification head for these labels. */
    public BertConfig withLabels(List<String> newLabels) {
        return new BertConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, hiddenAct,
                maxPositionEmbeddings, typeVocabSize, layerNormEps, attentionMaskValue, newLabels);
    }

    /** The same encoder with another depth (an exported, pruned model). */
    public BertConfig withNumHiddenLayers(int layers) {
        return new BertConfig(vocabSize, hiddenSize, layers, numAttentionHeads, intermediateSize, hiddenAct,
                maxPositionEmbeddings, typeVocabSize, layerNormEps, attentionMaskValue, labels);
    }

    /** Google's BERT-base uncased (L-12, H-768, A-12) with TF numerics. */
    public static BertConfig bertBaseUncased() {
        return new BertConfig(30522, 768, 12, 12, 3072, Activation.GELU_TANH, 512, 2, 1e-12, -10000.0, List.of());
    }

    /** Reads a Hugging Face {@code config.json}; errors name the file and the key. */
    public static BertConfig fromJson(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable as JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object with BERT keys " + REQUIRED_KEYS);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the fields of a Hugging Face config object. */
    public static BertConfig fromJson(JsonNode root) {
        List<String> missing = new ArrayList<>();
        for (String key : REQUIRED_KEYS) {
            if (!root.hasNonNull(key)) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("config is missing required key(s) " + missing
                    + " (a BERT config.json needs " + REQUIRED_KEYS + ")");
        }
        String modelType = root.path("model_type").asText("bert");
        if (!modelType.isEmpty() && !List.of("bert", "roberta", "xlm-roberta", "distilbert-like", "electra")
                .contains(modelType)) {
            throw new IllegalArgumentException("model_type '" + modelType + "' is not a BERT-family encoder");
        }
        List<String> labels = new ArrayList<>();
        JsonNode id2label = root.get("id2label");
        if (id2label != null && id2label.isObject() && id2label.size() > 0) {
            for (int i = 0; i < id2label.size(); i++) {
                JsonNode name = id2label.get(String.valueOf(i));
                if (name == null) {
                    throw new IllegalArgumentException("id2label must map 0.." + (id2label.size() - 1)
                            + " to names; key \"" + i + "\" is missing");
                }
                labels.add(name.asText());
            }
        }
        double maskValue = root.has("layerfuse_attention_mask_value")
                ? root.get("layerfuse_attention_mask_value").asDouble()
                : -Float.MAX_VALUE;
        return new BertConfig(
                intKey(root, "vocab_size"), intKey(root, "hidden_size"), intKey(root, "num_hidden_layers"),
                intKey(root, "num_attention_heads"), intKey(root, "intermediate_size"),
                Activation.fromHuggingFace(root.path("hidden_act").asText("gelu")),
                intKey(root, "max_position_embeddings"), root.path("type_vocab_size").asInt(2),
                root.path("layer_norm_eps").asDouble(1e-12), maskValue, labels);
    }

    private static int intKey(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (!n.canConvertToInt()) {
            throw new IllegalArgumentException("key '" + key + "' must be an integer, got " + n);
        }
        return n.asInt();
    }

    /** This config as a Hugging Face {@code config.json} object (BertModel / BertForSequenceClassification). */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode arch = o.putArray("architectures");
        arch.add(labels.isEmpty() ? "BertModel" : "BertForSequenceClassification");
        o.put("model_type", "bert");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("intermediate_size", intermediateSize);
        o.put("hidden_act", hiddenAct.huggingFaceName());
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("type_vocab_size", typeVocabSize);
        o.put("layer_norm_eps", layerNormEps);
        o.put("hidden_dropout_prob", 0.1);
        o.put("attention_probs_dropout_prob", 0.1);
        o.put("initializer_range", 0.02);
        o.put("pad_token_id", 0);
        o.put("position_embedding_type", "absolute");
        o.put("layerfuse_attention_mask_value", attentionMaskValue);
        if (!labels.isEmpty()) {
            ObjectNode id2label = o.putObject("id2label");
            ObjectNode label2id = o.putObject("label2id");
            for (int i = 0; i < labels.size(); i++) {
                id2label.put(String.valueOf(i), labels.get(i));
                label2id.put(labels.get(i), i);
            }
        }
        return o;
    }
}
