package org.layerfuse.bert.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * The WordPiece model: a word is cut greedily into the longest vocabulary entries, left to right;
 * every piece after the first is looked up with the continuation prefix ("##"). A word with a
 * stretch no entry covers, or longer than {@code maxInputChars} code points, becomes one [UNK].
 * One hash lookup per candidate piece; candidates start no longer than the longest entry.
 */
final class WordPiece {

    /** Entries that may start a word: the whole vocabulary, as Hugging Face looks them up. */
    private final Map<String, Integer> starts;
    /** Entries that continue a word, keyed without their prefix. */
    private final Map<String, Integer> continuations;
    private final int maxStartChars;
    private final int maxContinuationChars;
    private final int maxInputChars;
    private final int unkId;

    /** The model over ids {@code [0, modelSize)} of {@code vocab} (ids above are added tokens). */
    WordPiece(Vocabulary vocab, int modelSize, String prefix, int maxInputChars, int unkId) {
        this.starts = new HashMap<>(modelSize * 2);
        this.continuations = new HashMap<>(modelSize);
        int maxStart = 0;
        int maxCont = 0;
        for (int id = 0; id < modelSize; id++) {
            String token = vocab.tokenOf(id);
            int canonical = vocab.idOf(token); // a token listed twice maps to its last id, as in Hugging Face
            starts.put(token, canonical);
            maxStart = Math.max(maxStart, token.length());
            if (token.startsWith(prefix)) {
                String rest = token.substring(prefix.length());
                continuations.put(rest, canonical);
                maxCont = Math.max(maxCont, rest.length());
            }
        }
        this.maxStartChars = maxStart;
        this.maxContinuationChars = maxCont;
        this.maxInputChars = maxInputChars;
        this.unkId = unkId;
    }

    /** Appends the ids of one pre-tokenized word to {@code out}. */
    void tokenize(String word, IntList out) {
        int n = word.length();
        if (n > maxInputChars && word.codePointCount(0, n) > maxInputChars) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < n) {
            Map<String, Integer> table = start == 0 ? starts : continuations;
            int end = Math.min(n, start + (start == 0 ? maxStartChars : maxContinuationChars));
            if (splitsPair(word, end)) {
                end--;
            }
            Integer id = null;
            while (end > start) {
                id = table.get(word.substring(start, end));
                if (id != null) {
                    break;
                }
                end--;
                if (end > start && splitsPair(word, end)) {
                    end--;
                }
            }
            if (id == null) {
                out.truncate(mark);
                out.add(unkId);
                return;
            }
            out.add(id);
            start = end;
        }
    }

    /** Whether cutting before index {@code i} would split a surrogate pair (one code point). */
    private static boolean splitsPair(String s, int i) {
        return i > 0 && i < s.length() && Character.isHighSurrogate(s.charAt(i - 1))
                && Character.isLowSurrogate(s.charAt(i));
    }
}
