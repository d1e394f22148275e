package org.layerfuse.bert.tokenizer;

/**
 * How text becomes word pieces: the switches of BERT's basic tokenizer (Hugging Face's
 * {@code BertNormalizer}), the WordPiece parameters, the names of the special tokens and the sequence
 * length used when none is given.
 *
 * @param cleanText              drop NUL, U+FFFD and control characters; map every whitespace to ' '
 * @param handleChineseChars     put spaces around CJK ideographs so each becomes a word
 * @param lowerCase              lower-case the text
 * @param stripAccents           NFD-decompose and drop non-spacing marks (Hugging Face: follows
 *                               {@code lowerCase} unless set explicitly)
 * @param continuingSubwordPrefix prefix of word pieces that continue a word ("##")
 * @param maxInputCharsPerWord   a longer word (in code points) becomes one unknown token
 * @param defaultMaxLength       sequence length (special tokens included) used by {@code encode(String)}
 */
public record TokenizerOptions(boolean cleanText, boolean handleChineseChars, boolean lowerCase,
                               boolean stripAccents, String continuingSubwordPrefix, int maxInputCharsPerWord,
                               String unkToken, String clsToken, String sepToken, String padToken,
                               String maskToken, int defaultMaxLength) {

    public TokenizerOptions {
        if (continuingSubwordPrefix == null || continuingSubwordPrefix.isEmpty()) {
            throw new IllegalArgumentException("continuingSubwordPrefix must be a non-empty string such as \"##\"");
        }
        if (maxInputCharsPerWord <= 0) {
            throw new IllegalArgumentException("maxInputCharsPerWord must be > 0, got " + maxInputCharsPerWord);
        }
        for (String token : new String[]{unkToken, clsToken, sepToken, padToken, maskToken}) {
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("special token names must be non-empty, got " + token);
            }
        }
        if (defaultMaxLength < 2) {
            throw new IllegalArgumentException("defaultMaxLength must leave room for [CLS] and [SEP] (>= 2), got "
                    + defaultMaxLength);
        }
    }

    /** Google's BERT set-up: clean text, split CJK, accents stripped iff lower-cased, "##", 100, 512 tokens. */
    public static TokenizerOptions bert(boolean lowerCase) {
        return new TokenizerOptions(true, true, lowerCase, lowerCase, "##", 100,
                "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", 512);
    }
}
