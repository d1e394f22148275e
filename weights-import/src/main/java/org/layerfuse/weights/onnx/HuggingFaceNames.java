package org.layerfuse.weights.onnx;

import org.layerfuse.bert.ParamNames;
import org.layerfuse.weights.hf.HuggingFaceParamNames;

/**
 * Hugging Face BERT names as an ONNX export writes them, mapped through the one
 * {@link HuggingFaceParamNames} table. The export keeps HF names for embeddings, biases and
 * layer norms, but the linear weights are anonymous initializers, found through the MatMul
 * that reads them: so a named {@code .weight} of a linear module is not mapped here, and a
 * linear module ({@code encoder.layer.3.attention.self.query}) maps to its kernel name.
 */
final class HuggingFaceNames {

    static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";

    private final String prefix;

    /** @param prefix "" or "bert." as found in the export */
    HuggingFaceNames(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** Our name of a named vector or embedding table (not a linear layer's weight), or null if not a parameter. */
    String ourName(String name) {
        String ours = HuggingFaceParamNames.fromHuggingFace(canonical(name));
        return ours == null || HuggingFaceParamNames.isMatrix(ours) ? null : ours;
    }

    /** The module of {@code name} if it ends with {@code suffix} and is a linear layer we map, else null. */
    String linearModule(String name, String suffix) {
        if (!name.endsWith(suffix)) {
            return null;
        }
        String stem = canonical(name.substring(0, name.length() - suffix.length()));
        if (stem.startsWith(HuggingFaceParamNames.PREFIX)) {
            stem = stem.substring(HuggingFaceParamNames.PREFIX.length());
        }
        return ourKernel(stem) != null ? stem : null;
    }

    /** Our kernel name for a linear module ({@code encoder.layer.0.attention.self.query}), or null. */
    static String ourKernel(String module) {
        String ours = HuggingFaceParamNames.fromHuggingFace(module + ".weight");
        return ours != null && HuggingFaceParamNames.isMatrix(ours) ? ours : null;
    }

    /** The name with this export's prefix replaced by HF's own, so the shared table reads it. */
    private String canonical(String name) {
        if (name.startsWith("classifier")) {
            return name;
        }
        if (!prefix.isEmpty() && !name.startsWith(prefix)) {
            return "\u0000" + name; // outside this export's prefix: matches nothing
        }
        return HuggingFaceParamNames.PREFIX + name.substring(prefix.length());
    }

    static ParamNames.LayerMatrix[] matrices() {
        return ParamNames.LayerMatrix.values();
    }
}
