package org.layerfuse.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.layerfuse.bert.tokenizer.Encoding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.tokenizer.WordPieceTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Texts to padded token batches: validated, encoded, truncated to the model's length (logged
 * once per model), sorted by length so that each batch pads little, and cut into batches that
 * remember where each row came from.
 */
final class TextBatches {

    private static final Logger LOG = LoggerFactory.getLogger(TextBatches.class);

    /** One batch and, for each of its rows, the index of the text in the caller's list. */
    record Batch(TokenBatch tokens, int[] indices) {
    }

    private final WordPieceTokenizer tokenizer;
    private final int maxLength;
    private final int batchSize;
    private final String model;
    private final AtomicBoolean truncationLogged = new AtomicBoolean();

    TextBatches(WordPieceTokenizer tokenizer, int maxLength, int batchSize, String model) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.batchSize = batchSize;
        this.model = model;
    }

    int maxLength() {
        return maxLength;
    }

    /**
     * @param second null for single texts, else the second text of each pair (same size)
     * @throws IllegalArgumentException for a null or empty list or a null text, naming its index
     */
    List<Batch> batches(List<String> first, List<String> second) {
        check(first, "texts");
        if (second != null) {
            check(second, "second texts");
            if (second.size() != first.size()) {
                throw new IllegalArgumentException(first.size() + " texts but " + second.size() + " second texts;"
                        + " pairs need one of each");
            }
        }
        Encoding[] rows = new Encoding[first.size()];
        int truncated = 0;
        for (int i = 0; i < rows.length; i++) {
            Encoding full = second == null ? tokenizer.encode(first.get(i), Integer.MAX_VALUE)
                    : tokenizer.encodePair(first.get(i), second.get(i), Integer.MAX_VALUE);
            if (full.length() > maxLength) {
                truncated++;
                full = second == null ? truncate(full) : tokenizer.encodePair(first.get(i), second.get(i), maxLength);
            }
            rows[i] = full;
        }
        if (truncated > 0 && truncationLogged.compareAndSet(false, true)) {
            LOG.warn("{}: texts longer than {} tokens are truncated to {} (the first such call had {} of {});"
                    + " this is said once", model, maxLength, maxLength, truncated, rows.length);
        }
        Integer[] order = new Integer[rows.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> rows[i].length()));
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) {
            int to = Math.min(order.length, from + batchSize);
            int[] indices = new int[to - from];
            for (int k = 0; k < indices.length; k++) {
                indices[k] = order[from + k];
            }
            out.add(new Batch(pad(rows, indices), indices));
        }
        return out;
    }

    /** [CLS] and the first maxLength − 2 pieces, then [SEP]: what {@code encode(text, maxLength)} gives. */
    private Encoding truncate(Encoding e) {
        int[] ids = Arrays.copyOf(e.inputIds(), maxLength);
        ids[maxLength - 1] = tokenizer.sepId();
        return new Encoding(ids, new int[maxLength]);
    }

    private TokenBatch pad(Encoding[] rows, int[] indices) {
        int width = 0;
        for (int i : indices) {
            width = Math.max(width, rows[i].length());
        }
        int[][] ids = new int[indices.length][width];
        int[][] types = new int[indices.length][width];
        int[][] mask = new int[indices.length][width];
        for (int r = 0; r < indices.length; r++) {
            Encoding e = rows[indices[r]];
            int n = e.length();
            System.arraycopy(e.inputIds(), 0, ids[r], 0, n);
            System.arraycopy(e.tokenTypeIds(), 0, types[r], 0, n);
            Arrays.fill(mask[r], 0, n, 1);
            Arrays.fill(ids[r], n, width, tokenizer.padId());
        }
        return new TokenBatch(ids, types, mask);
    }

    private static void check(List<String> texts, String what) {
        if (texts == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty: give at least one text");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException(what + ": text " + i + " is null");
            }
        }
    }
}
