package org.layerfuse.bert.tokenizer;

/**
 * A padded batch of token ids, the model's input: {@code [batch][seqLen]} arrays of word-piece
 * ids, segment ids (0 for the first sentence, 1 for the second) and attention mask (1 for real
 * tokens, 0 for padding).
 */
public record TokenBatch(int[][] inputIds, int[][] tokenTypeIds, int[][] attentionMask) {

    public TokenBatch {
        if (inputIds.length != tokenTypeIds.length || inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException("inputIds, tokenTypeIds and attentionMask must have the same batch size");
        }
        int len = inputIds.length == 0 ? 0 : inputIds[0].length;
        for (int i = 0; i < inputIds.length; i++) {
            if (inputIds[i].length != len || tokenTypeIds[i].length != len || attentionMask[i].length != len) {
                throw new IllegalArgumentException("row " + i + " is not " + len + " tokens long in every array");
            }
        }
    }

    public int batchSize() {
        return inputIds.length;
    }

    public int seqLen() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** Rows {@code [from, to)} as a new batch sharing the row arrays. */
    public TokenBatch slice(int from, int to) {
        return new TokenBatch(java.util.Arrays.copyOfRange(inputIds, from, to),
                java.util.Arrays.copyOfRange(tokenTypeIds, from, to),
                java.util.Arrays.copyOfRange(attentionMask, from, to));
    }

    /** Number of real (non-padding) tokens. */
    public long realTokens() {
        long n = 0;
        for (int[] row : attentionMask) {
            for (int m : row) {
                n += m;
            }
        }
        return n;
    }
}
