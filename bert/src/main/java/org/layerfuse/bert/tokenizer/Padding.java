package org.layerfuse.bert.tokenizer;

/** How the rows of a {@link TokenBatch} are padded with [PAD]. */
public enum Padding {
    /** To the longest row of the batch. */
    LONGEST,
    /** To the batch's {@code maxLen}, whatever the rows' lengths. */
    MAX_LENGTH
}
