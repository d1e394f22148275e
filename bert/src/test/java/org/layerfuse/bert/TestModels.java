package org.layerfuse.bert;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layerfuse.bert.tokenizer.TokenBatch;

/** Small random models and batches for graph tests. */
final class TestModels {

    private TestModels() {
    }

    static BertConfig tinyConfig(Activation act, int layers, List<String> labels) {
        return tinyConfig(act, layers, -10000.0, 12, labels);
    }

    /** The tiny model (vocabulary 40, H 16, 4 heads, FFN 24) with a mask value and a position limit. */
    static BertConfig tinyConfig(Activation act, int layers, double maskValue, int maxPositions, List<String> labels) {
        return new BertConfig(40, 16, layers, 4, 24, act, maxPositions, 2, 1e-12, maskValue, labels);
    }

    /**
     * Weights with a larger spread than BERT's N(0, 0.02) initialisation, so attention is
     * sharp and every term of the forward pass matters numerically.
     */
    static BertWeights randomWeights(BertConfig c, long seed, boolean pooler) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        java.util.List<ParamNames.Entry> all = new java.util.ArrayList<>(ParamNames.embeddingParams(c));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            all.addAll(ParamNames.layerParams(c, l));
        }
        if (pooler) {
            all.addAll(ParamNames.poolerParams(c));
            all.addAll(ParamNames.classifierParams(c));
        }
        for (ParamNames.Entry e : all) {
            long n = 1;
            for (long d : e.shape()) {
                n *= d;
            }
            float[] data = new float[(int) n];
            for (int i = 0; i < data.length; i++) {
                double g = r.nextDouble(-1, 1);
                data[i] = (float) (e.name().endsWith(".gamma") ? 1 + 0.2 * g : 0.4 * g);
            }
            t.put(e.name(), new Tensor(e.shape(), data));
        }
        return BertWeights.validated(c, t, "test weights");
    }

    /** Three rows of 7 tokens: one full, two padded, mixed segments. */
    static TokenBatch batch(int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] lengths = {7, 4, 2};
        int[][] ids = new int[3][7];
        int[][] types = new int[3][7];
        int[][] mask = new int[3][7];
        for (int row = 0; row < 3; row++) {
            for (int t = 0; t < lengths[row]; t++) {
                // Repeated ids (the first two tokens of every row) exercise the scatter-add gradient.
                ids[row][t] = t < 2 ? 7 + t : r.nextInt(1, vocab);
                types[row][t] = t >= lengths[row] / 2 ? 1 : 0;
                mask[row][t] = 1;
            }
        }
        return new TokenBatch(ids, types, mask);
    }
}
