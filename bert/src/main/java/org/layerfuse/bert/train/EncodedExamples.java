package org.layerfuse.bert.train;

import java.util.Arrays;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * Tokenized, padded examples with their labels: what training and evaluation consume.
 * Build it with the tokenizer's {@code batch(texts, maxLen, Padding.MAX_LENGTH)}.
 */
public record EncodedExamples(TokenBatch tokens, int[] labels) {

    public EncodedExamples {
        if (tokens.batchSize() != labels.length) {
            throw new IllegalArgumentException(tokens.batchSize() + " token rows but " + labels.length + " labels");
        }
    }

    public int size() {
        return labels.length;
    }

    /** The rows at these indices, in this order. */
    public EncodedExamples select(int[] indices) {
        int[][] ids = new int[indices.length][];
        int[][] types = new int[indices.length][];
        int[][] mask = new int[indices.length][];
        int[] y = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int r = indices[i];
            ids[i] = tokens.inputIds()[r];
            types[i] = tokens.tokenTypeIds()[r];
            mask[i] = tokens.attentionMask()[r];
            y[i] = labels[r];
        }
        return new EncodedExamples(new TokenBatch(ids, types, mask), y);
    }

    /** Rows {@code [from, to)}. */
    public EncodedExamples range(int from, int to) {
        int[] idx = new int[to - from];
        Arrays.setAll(idx, i -> from + i);
        return select(idx);
    }

    /** Number of examples per class, for classes {@code 0..numLabels−1}. */
    public int[] classCounts(int numLabels) {
        int[] counts = new int[numLabels];
        for (int y : labels) {
            counts[y]++;
        }
        return counts;
    }
}
