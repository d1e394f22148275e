package org.layerfuse.bert.tokenizer;

import java.text.Normalizer;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * BERT's basic tokenizer, as Hugging Face tokenizers (Rust) does it, the reference DJL wraps:
 * <ol>
 *   <li>clean text: drop NUL, U+FFFD and control characters (general category Cc, Cf, Co, Cs, but not
 *       tab, LF, CR; unassigned code points stay, as in the Rust tables), map each White_Space
 *       character to ' ';</li>
 *   <li>put spaces around CJK ideographs;</li>
 *   <li>strip accents: NFD, then drop non-spacing marks (Mn);</li>
 *   <li>lower-case code point by code point (full mapping: 'İ' → "i̇", final sigma stays σ);</li>
 *   <li>split into words on White_Space, each punctuation character (general category P* or ASCII
 *       33–47, 58–64, 91–96, 123–126) a word of its own.</li>
 * </ol>
 * Steps 1–4 are the normalizer, step 5 the pre-tokenizer; they are separate because added tokens
 * are matched between them. Immutable, so thread-safe.
 */
final class BasicTokenizer {

    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowerCase;

    BasicTokenizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowerCase) {
        this.cleanText = cleanText;
        this.handleChineseChars = handleChineseChars;
        this.stripAccents = stripAccents;
        this.lowerCase = lowerCase;
    }

    /** Steps 1–4: cleaning, CJK spacing, accent stripping, lower-casing, in this order. */
    String normalize(String text) {
        String s = text;
        if (cleanText || handleChineseChars) {
            s = cleanAndSpaceCjk(s);
        }
        boolean ascii = isAscii(s);
        if (stripAccents && !ascii) {
            s = stripAccents(s);
        }
        if (lowerCase) {
            s = ascii ? s.toLowerCase(Locale.ROOT) : lowerCase(s);
        }
        return s;
    }

    /** Step 5: hands each word of a normalized text to {@code word}, in order. */
    static void splitWords(String text, Consumer<String> word) {
        int start = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isWhitespace(cp)) {
                if (start >= 0) {
                    word.accept(text.substring(start, i));
                    start = -1;
                }
            } else if (isPunctuation(cp)) {
                if (start >= 0) {
                    word.accept(text.substring(start, i));
                    start = -1;
                }
                word.accept(text.substring(i, next));
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) {
            word.accept(text.substring(start));
        }
    }

    private String cleanAndSpaceCjk(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                    continue;
                }
                if (isWhitespace(cp)) {
                    cp = ' ';
                }
            }
            if (handleChineseChars && isChineseChar(cp)) {
                out.append(' ').appendCodePoint(cp).append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    private static String stripAccents(String text) {
        String nfd = Normalizer.normalize(text, Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(nfd.length());
        for (int i = 0; i < nfd.length(); ) {
            int cp = nfd.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /** Per code point, so no context rules (Greek final sigma) apply; U+0130 is the one two-char mapping. */
    private static String lowerCase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0x130) {
                out.append("i\u0307");
            } else {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
        }
        return out.toString();
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Unicode White_Space (Rust's {@code char::is_whitespace}); tab, LF and CR included. */
    static boolean isWhitespace(int cp) {
        if (cp < 0x80) {
            return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
        }
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028
                || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** Control, format, private-use or surrogate, except tab, LF and CR (those count as whitespace). */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE;
    }

    /** ASCII punctuation and symbols (33–47, 58–64, 91–96, 123–126) or Unicode general category P*. */
    static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
                    || (cp >= 123 && cp <= 126);
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /**
     * The CJK Unified Ideographs blocks BERT splits. The Rust library's range 0x2B920–0x2CEAF (Python
     * BERT: 0x2B820) is kept, so CJK Extension E's first 256 code points stay inside words, as in Rust.
     */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
