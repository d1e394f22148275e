package org.layerfuse.bert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of a BERT encoder under {@link ParamNames}, with the config they belong to.
 * Readers build one whole and call {@link #validated}, so a checkpoint either loads completely
 * or fails with a message that names the source, the tensor and the expected shape.
 *
 * @param source where the weights came from (a file or artifact), used in error messages
 */
public record BertWeights(BertConfig config, Map<String, Tensor> tensors, String source) {

    public BertWeights {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /**
     * Checks every required tensor is present with its expected shape. Embeddings and encoder
     * layers are required; the pooler and the classifier are optional but, when present, must
     * have the right shape. Tensors outside the scheme are rejected.
     *
     * @throws IllegalArgumentException naming {@code source}, the tensor and the expected shape
     */
    public static BertWeights validated(BertConfig config, Map<String, Tensor> tensors, String source) {
        List<String> problems = new ArrayList<>();
        List<ParamNames.Entry> required = new ArrayList<>(ParamNames.embeddingParams(config));
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            required.addAll(ParamNames.layerParams(config, l));
        }
        for (ParamNames.Entry e : required) {
            check(tensors, e, true, problems);
        }
        List<ParamNames.Entry> optional = new ArrayList<>(ParamNames.poolerParams(config));
        optional.addAll(ParamNames.classifierParams(config));
        for (ParamNames.Entry e : optional) {
            check(tensors, e, false, problems);
        }
        Set<String> known = new java.util.HashSet<>();
        required.forEach(e -> known.add(e.name()));
        optional.forEach(e -> known.add(e.name()));
        for (String name : tensors.keySet()) {
            if (!known.contains(name)) {
                problems.add("unexpected tensor '" + name + "' (not a parameter of a " + config.numHiddenLayers()
                        + "-layer BERT with " + config.numLabels() + " labels)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(source + ": " + String.join("; ", problems.subList(0,
                    Math.min(problems.size(), 8))) + (problems.size() > 8 ? "; and " + (problems.size() - 8)
                    + " more" : ""));
        }
        return new BertWeights(config, tensors, source);
    }

    private static void check(Map<String, Tensor> tensors, ParamNames.Entry e, boolean required,
                              List<String> problems) {
        Tensor t = tensors.get(e.name());
        if (t == null) {
            if (required) {
                problems.add("missing tensor '" + e.name() + "' (expected shape " + Arrays.toString(e.shape()) + ")");
            }
            return;
        }
        if (!t.hasShape(e.shape())) {
            problems.add("tensor '" + e.name() + "' has shape " + Arrays.toString(t.shape()) + ", expected "
                    + Arrays.toString(e.shape()));
        }
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + ": no tensor '" + name + "'");
        }
        return t;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public boolean hasPooler() {
        return tensors.containsKey(ParamNames.POOLER_KERNEL);
    }

    /** Number of float parameters. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.size();
        }
        return n;
    }
}
