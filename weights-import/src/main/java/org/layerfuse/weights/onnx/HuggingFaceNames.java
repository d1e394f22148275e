package org.layerfuse.weights.onnx;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.layerfuse.bert.ParamNames;

/**
 * Hugging Face BERT parameter names ({@code [bert.]encoder.layer.3.attention.self.query.bias})
 * and their {@link ParamNames} equivalents. A name splits into a module
 * ({@code encoder.layer.3.attention.self.query}) and a suffix ({@code .weight}, {@code .bias};
 * very old checkpoints say {@code .gamma}/{@code .beta} for layer norms). The classifier head sits
 * outside the {@code bert.} prefix.
 */
final class HuggingFaceNames {

    static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.(.+)");

    private final String prefix;

    /** @param prefix "" or "bert." */
    HuggingFaceNames(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** Our name of a named vector or embedding table (not a linear layer's weight), or null if not a parameter. */
    String ourName(String name) {
        String m = module(name, ".bias");
        if (m == null) {
            m = module(name, ".beta");
        }
        if (m != null) {
            if (m.endsWith("LayerNorm")) {
                return layerNorm(m, false);
            }
            String kernel = name.endsWith(".bias") ? ourKernel(m) : null;
            return kernel == null ? null : kernel.substring(0, kernel.length() - ".kernel".length()) + ".bias";
        }
        m = module(name, ".weight");
        if (m == null) {
            m = module(name, ".gamma");
        }
        if (m == null) {
            return null;
        }
        if (m.endsWith("LayerNorm")) {
            return layerNorm(m, true);
        }
        return !name.endsWith(".weight") ? null : switch (m) {
            case "embeddings.word_embeddings" -> ParamNames.WORD_EMBEDDINGS;
            case "embeddings.position_embeddings" -> ParamNames.POSITION_EMBEDDINGS;
            case "embeddings.token_type_embeddings" -> ParamNames.TOKEN_TYPE_EMBEDDINGS;
            default -> null;
        };
    }

    /** The module of {@code name} if it ends with {@code suffix} and is a linear layer we map, else null. */
    String linearModule(String name, String suffix) {
        String m = module(name, suffix);
        return m != null && ourKernel(m) != null ? m : null;
    }

    /** Our kernel name for a linear module ({@code encoder.layer.0.attention.self.query}), or null. */
    static String ourKernel(String module) {
        if (module.equals("pooler.dense")) {
            return ParamNames.POOLER_KERNEL;
        }
        if (module.equals("classifier")) {
            return ParamNames.CLASSIFIER_KERNEL;
        }
        Matcher m = LAYER.matcher(module);
        if (!m.matches()) {
            return null;
        }
        ParamNames.LayerMatrix matrix = switch (m.group(2)) {
            case "attention.self.query" -> ParamNames.LayerMatrix.QUERY;
            case "attention.self.key" -> ParamNames.LayerMatrix.KEY;
            case "attention.self.value" -> ParamNames.LayerMatrix.VALUE;
            case "attention.output.dense" -> ParamNames.LayerMatrix.ATTENTION_OUTPUT;
            case "intermediate.dense" -> ParamNames.LayerMatrix.INTERMEDIATE;
            case "output.dense" -> ParamNames.LayerMatrix.OUTPUT;
            default -> null;
        };
        return matrix == null ? null : matrix.kernel(Integer.parseInt(m.group(1)));
    }

    /** The module of a name with this suffix, without the model prefix; null if the name has another form. */
    private String module(String name, String suffix) {
        if (!name.endsWith(suffix)) {
            return null;
        }
        String stem = name.substring(0, name.length() - suffix.length());
        if (stem.equals("classifier")) {
            return stem;
        }
        return stem.startsWith(prefix) ? stem.substring(prefix.length()) : null;
    }

    private static String layerNorm(String module, boolean gamma) {
        if (module.equals("embeddings.LayerNorm")) {
            return gamma ? ParamNames.EMBEDDINGS_LN_GAMMA : ParamNames.EMBEDDINGS_LN_BETA;
        }
        Matcher m = LAYER.matcher(module);
        if (!m.matches()) {
            return null;
        }
        int l = Integer.parseInt(m.group(1));
        return switch (m.group(2)) {
            case "attention.output.LayerNorm" -> gamma ? ParamNames.attentionLnGamma(l) : ParamNames.attentionLnBeta(l);
            case "output.LayerNorm" -> gamma ? ParamNames.ffnLnGamma(l) : ParamNames.ffnLnBeta(l);
            default -> null;
        };
    }
}
