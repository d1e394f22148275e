package org.layerfuse.bert.tokenizer;

/**
 * A vocabulary entry taken whole from the text, never split: BERT's special tokens, or an entry of a
 * tokenizer.json's {@code added_tokens}.
 *
 * Hugging Face's {@code lstrip}/{@code rstrip} (a match swallows the whitespace next to it) only move
 * offsets here, as BERT's pre-tokenizer drops whitespace anyway, so they are not kept.
 *
 * @param special    skipped by {@code decode}
 * @param normalized matched in the normalized text (e.g. lower-cased) rather than in the raw text
 */
record AddedToken(String content, boolean special, boolean normalized) {

    AddedToken {
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("an added token needs a non-empty content");
        }
    }

    /** A special token as BERT's vocab.txt tokenizers treat it: matched in the raw text, nothing stripped. */
    static AddedToken special(String content) {
        return new AddedToken(content, true, false);
    }
}
