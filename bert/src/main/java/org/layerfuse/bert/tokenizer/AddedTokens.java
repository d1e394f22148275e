package org.layerfuse.bert.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Finds tokens that are taken whole from the text before WordPiece sees it ([CLS], [SEP], … and any
 * token a tokenizer.json adds): leftmost match first, the longest one where several start at the same
 * place, as Hugging Face's added vocabulary does. Immutable, so thread-safe.
 */
final class AddedTokens {

    /** A token to match: its text (normalized already if it is matched in normalized text) and its id. */
    record Entry(String text, int id) {
        Entry {
            if (text.isEmpty()) {
                throw new IllegalArgumentException("an added token cannot be empty (id " + id + ")");
            }
        }
    }

    /** Candidates by first char, longest first. */
    private final Map<Character, Entry[]> byFirstChar = new HashMap<>();

    AddedTokens(List<Entry> entries) {
        Map<Character, List<Entry>> groups = new HashMap<>();
        for (Entry e : entries) {
            groups.computeIfAbsent(e.text().charAt(0), c -> new ArrayList<>()).add(e);
        }
        groups.forEach((c, list) -> {
            list.sort(Comparator.comparingInt((Entry e) -> e.text().length()).reversed());
            byFirstChar.put(c, list.toArray(new Entry[0]));
        });
    }

    /**
     * Cuts {@code text} at the matches: each non-empty stretch between matches goes to {@code gap}, each
     * match's id to {@code token}, in text order.
     */
    void split(String text, Consumer<String> gap, IntConsumer token) {
        if (byFirstChar.isEmpty()) {
            gap.accept(text);
            return;
        }
        int n = text.length();
        int pending = 0;
        int i = 0;
        while (i < n) {
            Entry match = longestAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (i > pending) {
                gap.accept(text.substring(pending, i));
            }
            token.accept(match.id());
            i += match.text().length();
            pending = i;
        }
        if (pending < n) {
            gap.accept(text.substring(pending));
        }
    }

    private Entry longestAt(String text, int i) {
        Entry[] candidates = byFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (Entry e : candidates) {
                if (text.startsWith(e.text(), i)) {
                    return e;
                }
            }
        }
        return null;
    }
}
