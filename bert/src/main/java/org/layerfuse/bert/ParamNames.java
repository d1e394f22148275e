package org.layerfuse.bert;

import java.util.ArrayList;
import java.util.List;

/**
 * LayerFuse's parameter names: one scheme that every checkpoint reader maps onto and the
 * SameDiff graph uses for its variables. Matrices are stored as {@code [in, out]}
 * ("kernel", y = x·W + b), the TensorFlow convention; PyTorch/Hugging Face {@code [out, in]}
 * weights are transposed on import and export. Encoder layers keep their original index
 * for life: removing layer 3 never renames layer 4.
 */
public final class ParamNames {

    public static final String WORD_EMBEDDINGS = "embeddings.word_embeddings";
    public static final String POSITION_EMBEDDINGS = "embeddings.position_embeddings";
    public static final String TOKEN_TYPE_EMBEDDINGS = "embeddings.token_type_embeddings";
    public static final String EMBEDDINGS_LN_GAMMA = "embeddings.ln.gamma";
    public static final String EMBEDDINGS_LN_BETA = "embeddings.ln.beta";
    public static final String POOLER_KERNEL = "pooler.kernel";
    public static final String POOLER_BIAS = "pooler.bias";
    public static final String CLASSIFIER_KERNEL = "classifier.kernel";
    public static final String CLASSIFIER_BIAS = "classifier.bias";

    /** The six weight matrices of an encoder layer (the ones grafting and weight signals use). */
    public enum LayerMatrix {
        QUERY("attention.query"), KEY("attention.key"), VALUE("attention.value"),
        ATTENTION_OUTPUT("attention.output"), INTERMEDIATE("ffn.intermediate"), OUTPUT("ffn.output");

        private final String stem;

        LayerMatrix(String stem) {
            this.stem = stem;
        }

        public String kernel(int layer) {
            return layer(layer) + stem + ".kernel";
        }

        public String bias(int layer) {
            return layer(layer) + stem + ".bias";
        }

        /** Shape {@code [in, out]} of this matrix for a config. */
        public long[] kernelShape(BertConfig c) {
            return switch (this) {
                case QUERY, KEY, VALUE, ATTENTION_OUTPUT -> new long[] {c.hiddenSize(), c.hiddenSize()};
                case INTERMEDIATE -> new long[] {c.hiddenSize(), c.intermediateSize()};
                case OUTPUT -> new long[] {c.intermediateSize(), c.hiddenSize()};
            };
        }
    }

    private ParamNames() {
    }

    public static String layer(int layer) {
        return "layer." + layer + ".";
    }

    public static String attentionLnGamma(int layer) {
        return layer(layer) + "attention.ln.gamma";
    }

    public static String attentionLnBeta(int layer) {
        return layer(layer) + "attention.ln.beta";
    }

    public static String ffnLnGamma(int layer) {
        return layer(layer) + "ffn.ln.gamma";
    }

    public static String ffnLnBeta(int layer) {
        return layer(layer) + "ffn.ln.beta";
    }

    /** Layer index of a per-layer parameter name, or −1 for embeddings, pooler and head. */
    public static int layerOf(String name) {
        if (!name.startsWith("layer.")) {
            return -1;
        }
        int dot = name.indexOf('.', 6);
        return Integer.parseInt(name.substring(6, dot));
    }

    /** True for biases and layer-norm parameters (excluded from weight decay). */
    public static boolean isBiasOrNorm(String name) {
        return name.endsWith(".bias") || name.endsWith(".gamma") || name.endsWith(".beta");
    }

    /** Every parameter of one encoder layer with its shape, in a fixed order. */
    public static List<Entry> layerParams(BertConfig c, int layer) {
        List<Entry> out = new ArrayList<>();
        for (LayerMatrix m : LayerMatrix.values()) {
            long[] shape = m.kernelShape(c);
            out.add(new Entry(m.kernel(layer), shape));
            out.add(new Entry(m.bias(layer), new long[] {shape[1]}));
            if (m == LayerMatrix.ATTENTION_OUTPUT) {
                out.add(new Entry(attentionLnGamma(layer), new long[] {c.hiddenSize()}));
                out.add(new Entry(attentionLnBeta(layer), new long[] {c.hiddenSize()}));
            } else if (m == LayerMatrix.OUTPUT) {
                out.add(new Entry(ffnLnGamma(layer), new long[] {c.hiddenSize()}));
                out.add(new Entry(ffnLnBeta(layer), new long[] {c.hiddenSize()}));
            }
        }
        return out;
    }

    /** Embedding parameters with their shapes. */
    public static List<Entry> embeddingParams(BertConfig c) {
        long h = c.hiddenSize();
        return List.of(new Entry(WORD_EMBEDDINGS, new long[] {c.vocabSize(), h}),
                new Entry(POSITION_EMBEDDINGS, new long[] {c.maxPositionEmbeddings(), h}),
                new Entry(TOKEN_TYPE_EMBEDDINGS, new long[] {c.typeVocabSize(), h}),
                new Entry(EMBEDDINGS_LN_GAMMA, new long[] {h}),
                new Entry(EMBEDDINGS_LN_BETA, new long[] {h}));
    }

    /** Pooler parameters with their shapes. */
    public static List<Entry> poolerParams(BertConfig c) {
        long h = c.hiddenSize();
        return List.of(new Entry(POOLER_KERNEL, new long[] {h, h}), new Entry(POOLER_BIAS, new long[] {h}));
    }

    /** Classification-head parameters (empty if the config has no labels). */
    public static List<Entry> classifierParams(BertConfig c) {
        if (c.numLabels() == 0) {
            return List.of();
        }
        return List.of(new Entry(CLASSIFIER_KERNEL, new long[] {c.hiddenSize(), c.numLabels()}),
                new Entry(CLASSIFIER_BIAS, new long[] {c.numLabels()}));
    }

    /** A parameter name with its expected shape. */
    public record Entry(String name, long[] shape) {
    }
}
