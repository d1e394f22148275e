package org.layerfuse.bert.tokenizer;

/**
 * A vocabulary entry taken whole from the text, never split: BERT's special tokens, or an entry of a
 * tokenizer.json's {@code added_tokens}.
 *
 * @param special    skipped by {@code decode}
 * @param normalized matched in the normalized text (e.g. lower-cased) rather than in the raw text
 * @param lstrip     the match swallows the whitespace before it
 * @param rstrip     the match swallows the whitespace after it
 */
record AddedToken(String content, boolean special, boolean normalized, boolean lstrip, boolean rstrip) {

    AddedToken {
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("an added token needs a non-empty content");
        }
    }

    /** A special token as BERT's vocab.txt tokenizers treat it: matched in the raw text, nothing stripped. */
    static AddedToken special(String content) {
        return new AddedToken(content, true, false, false, false);
    }
}
