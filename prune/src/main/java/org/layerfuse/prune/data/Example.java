package org.layerfuse.prune.data;

import java.util.Objects;

/**
 * One labelled text: {@code text}, an optional {@code textPair} for sentence-pair tasks
 * (null for single-text tasks; the tokenizer joins them as {@code [CLS] a [SEP] b [SEP]}) and
 * a class index {@code label} into the owning {@link LabeledDataset}'s label names.
 */
public record Example(String text, String textPair, int label) {

    public Example {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            throw new IllegalArgumentException("example text is empty");
        }
        if (textPair != null && textPair.isBlank()) {
            throw new IllegalArgumentException("example second text is empty (use null for single-text examples)");
        }
        if (label < 0) {
            throw new IllegalArgumentException("example label must be >= 0, got " + label);
        }
    }

    /** A single-text example. */
    public Example(String text, int label) {
        this(text, null, label);
    }

    public boolean isPair() {
        return textPair != null;
    }
}
