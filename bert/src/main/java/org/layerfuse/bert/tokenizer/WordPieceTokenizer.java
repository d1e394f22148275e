package org.layerfuse.bert.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * BERT's WordPiece tokenizer, equal to Hugging Face's {@code BertTokenizer} / tokenizers
 * {@code BertWordPiece}: added tokens ([CLS], [SEP], …) are cut out of the raw text first; every
 * stretch between them is normalized and split into words ({@code BasicTokenizer}), and every word into
 * word pieces ({@code WordPiece}). Inputs are framed as {@code [CLS] a [SEP]} or
 * {@code [CLS] a [SEP] b [SEP]} (segment ids 0… then 1…) and truncated to a length that counts those
 * special tokens.
 *
 * <p>Where Hugging Face's Python and Rust tokenizers differ, this follows Rust (what tokenizer.json
 * means, and what DJL runs): a pair truncated to an odd budget gives the odd piece to the longer part
 * (Python: to the first on a tie); the CJK range starts 0x2B920, not 0x2B820; decoding cleans up piece
 * by piece. Character classes come from the JDK's Unicode tables, which are newer than Rust's for a
 * few punctuation characters added after Unicode 9.
 *
 * <p>Immutable after construction, so one instance may serve many threads.
 */
public final class WordPieceTokenizer {

    private final Vocabulary vocab;
    private final TokenizerOptions options;
    private final BasicTokenizer basic;
    private final WordPiece wordPiece;
    private final AddedTokens rawTokens;
    private final AddedTokens normalizedTokens;
    /** By id: skipped by {@link #decode}. */
    private final boolean[] special;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int padId;

    /**
     * @param source    what the vocabulary came from (a file), named in errors
     * @param vocab     the model's vocabulary in ids {@code [0, modelSize)}, then any added tokens
     * @param addedTokens tokens cut out of the text whole; each must be in {@code vocab}
     */
    WordPieceTokenizer(String source, Vocabulary vocab, int modelSize, TokenizerOptions options,
                       List<AddedToken> addedTokens) {
        List<String> missing = new ArrayList<>();
        for (String name : List.of(options.clsToken(), options.sepToken(), options.unkToken(), options.padToken())) {
            if (!vocab.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(source + " lacks the special token" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing) + "; a BERT vocabulary needs " + options.clsToken() + ", "
                    + options.sepToken() + ", " + options.unkToken() + " and " + options.padToken());
        }
        this.vocab = vocab;
        this.options = options;
        this.basic = new BasicTokenizer(options.cleanText(), options.handleChineseChars(), options.stripAccents(),
                options.lowerCase());
        this.unkId = vocab.idOf(options.unkToken());
        this.clsId = vocab.idOf(options.clsToken());
        this.sepId = vocab.idOf(options.sepToken());
        this.padId = vocab.idOf(options.padToken());
        this.wordPiece = new WordPiece(vocab, modelSize, options.continuingSubwordPrefix(),
                options.maxInputCharsPerWord(), unkId);
        this.special = new boolean[vocab.size()];
        List<AddedTokens.Entry> raw = new ArrayList<>();
        List<AddedTokens.Entry> normalized = new ArrayList<>();
        for (AddedToken t : addedTokens) {
            int id = vocab.idOf(t.content());
            if (id < 0) {
                throw new IllegalArgumentException(source + ": added token " + t.content()
                        + " is not in the vocabulary");
            }
            special[id] |= t.special();
            if (!t.normalized()) {
                raw.add(new AddedTokens.Entry(t.content(), id));
            } else {
                String text = basic.normalize(t.content());
                if (!text.isEmpty()) {
                    normalized.add(new AddedTokens.Entry(text, id));
                }
            }
        }
        this.rawTokens = new AddedTokens(raw);
        this.normalizedTokens = new AddedTokens(normalized);
    }

    /**
     * A tokenizer over a BERT {@code vocab.txt} (one token per line, id = line index) with Google's
     * settings ({@link TokenizerOptions#bert}); [CLS], [SEP], [UNK], [PAD] and [MASK] (where present)
     * are never split.
     */
    public static WordPieceTokenizer fromVocabTxt(Path vocab, boolean lowerCase) throws IOException {
        return fromVocabTxt(vocab, TokenizerOptions.bert(lowerCase));
    }

    public static WordPieceTokenizer fromVocabTxt(Path vocab, TokenizerOptions options) throws IOException {
        Vocabulary v = Vocabulary.readVocabTxt(vocab);
        List<AddedToken> specials = new ArrayList<>();
        for (String name : List.of(options.clsToken(), options.sepToken(), options.unkToken(), options.padToken(),
                options.maskToken())) {
            if (v.contains(name)) {
                specials.add(AddedToken.special(name));
            }
        }
        return new WordPieceTokenizer("vocab file " + vocab, v, v.size(), options, specials);
    }

    /**
     * A tokenizer from a Hugging Face {@code tokenizer.json} with a WordPiece model, a BERT normalizer
     * and pre-tokenizer and a [CLS]/[SEP] post-processor; see {@code TokenizerJson} for what is read.
     */
    public static WordPieceTokenizer fromTokenizerJson(Path file) throws IOException {
        return TokenizerJson.read(file);
    }

    /** The word pieces of a text, without [CLS]/[SEP] (added tokens written in the text included). */
    public List<String> tokenize(String text) {
        IntList ids = pieceIds(text);
        List<String> tokens = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            tokens.add(vocab.tokenOf(ids.get(i)));
        }
        return tokens;
    }

    /** {@code [CLS] text [SEP]} truncated to {@link TokenizerOptions#defaultMaxLength()} tokens. */
    public Encoding encode(String text) {
        return encode(text, options.defaultMaxLength());
    }

    /** {@code [CLS] text [SEP]}, the text's pieces cut after the first {@code maxLen - 2}. */
    public Encoding encode(String text, int maxLen) {
        if (maxLen < 2) {
            throw new IllegalArgumentException("maxLen " + maxLen
                    + " leaves no room for [CLS] and [SEP]; expected >= 2");
        }
        IntList pieces = pieceIds(text);
        int n = Math.min(pieces.size(), maxLen - 2);
        int[] ids = new int[n + 2];
        ids[0] = clsId;
        pieces.copyTo(n, ids, 1);
        ids[n + 1] = sepId;
        return new Encoding(ids, new int[n + 2]);
    }

    /**
     * {@code [CLS] a [SEP] b [SEP]} with segment ids 0 up to the first [SEP], 1 after it, truncated to
     * {@code maxLen} longest-first: pieces are dropped from the end of the longer part until both fit
     * (as Hugging Face tokenizers does, the originally longer part, or b on a tie, keeps an odd piece).
     */
    public Encoding encodePair(String a, String b, int maxLen) {
        if (maxLen < 3) {
            throw new IllegalArgumentException("maxLen " + maxLen
                    + " leaves no room for [CLS], [SEP], [SEP]; expected >= 3");
        }
        IntList pa = pieceIds(a);
        IntList pb = pieceIds(b);
        int[] keep = longestFirst(pa.size(), pb.size(), maxLen - 3);
        int na = keep[0];
        int nb = keep[1];
        int[] ids = new int[na + nb + 3];
        int[] types = new int[ids.length];
        ids[0] = clsId;
        pa.copyTo(na, ids, 1);
        ids[na + 1] = sepId;
        pb.copyTo(nb, ids, na + 2);
        ids[ids.length - 1] = sepId;
        for (int i = na + 2; i < ids.length; i++) {
            types[i] = 1;
        }
        return new Encoding(ids, types);
    }

    /**
     * Hugging Face tokenizers' {@code longest_first} truncation of a pair to {@code budget} pieces: if
     * the shorter part fits in half the budget it is kept whole and the longer one gets the rest;
     * otherwise both get half, the originally longer one (the second, on a tie) the odd piece. This is
     * what dropping from the longer part one piece at a time gives, up to that odd piece (Python's
     * transformers gives it to the first part on a tie).
     *
     * @return how many pieces of a and of b to keep
     */
    static int[] longestFirst(int na, int nb, int budget) {
        if (na + nb <= budget) {
            return new int[]{na, nb};
        }
        boolean aLonger = na > nb;
        int shorter = Math.min(na, nb);
        int keepShort;
        int keepLong;
        if (2L * shorter <= budget) {
            keepShort = shorter;
            keepLong = budget - shorter;
        } else {
            keepShort = budget / 2;
            keepLong = budget - keepShort;
        }
        return aLonger ? new int[]{keepLong, keepShort} : new int[]{keepShort, keepLong};
    }

    /** Encodes each text with {@link #encode(String, int)} and pads the rows with [PAD]. */
    public TokenBatch batch(List<String> texts, int maxLen, Padding padding) {
        Encoding[] rows = new Encoding[texts.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = encode(texts.get(i), maxLen);
        }
        return pad(rows, maxLen, padding);
    }

    /** Encodes each pair {@code (a[i], b[i])} with {@link #encodePair} and pads the rows with [PAD]. */
    public TokenBatch batchPairs(List<String> a, List<String> b, int maxLen, Padding padding) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("batchPairs needs as many second texts as first texts, got " + a.size()
                    + " and " + b.size());
        }
        Encoding[] rows = new Encoding[a.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = encodePair(a.get(i), b.get(i), maxLen);
        }
        return pad(rows, maxLen, padding);
    }

    private TokenBatch pad(Encoding[] rows, int maxLen, Padding padding) {
        int width = 0;
        if (padding == Padding.MAX_LENGTH) {
            width = maxLen;
        } else {
            for (Encoding row : rows) {
                width = Math.max(width, row.length());
            }
        }
        int[][] ids = new int[rows.length][width];
        int[][] types = new int[rows.length][width];
        int[][] mask = new int[rows.length][width];
        for (int r = 0; r < rows.length; r++) {
            int n = rows[r].length();
            System.arraycopy(rows[r].inputIds(), 0, ids[r], 0, n);
            System.arraycopy(rows[r].tokenTypeIds(), 0, types[r], 0, n);
            Arrays.fill(mask[r], 0, n, 1);
            Arrays.fill(ids[r], n, width, padId);
        }
        return new TokenBatch(ids, types, mask);
    }

    /**
     * Text back from ids, as Hugging Face's WordPiece decoder with clean-up: special tokens are skipped,
     * a piece with the "##" prefix is glued to the one before, any other piece follows a space, and a
     * space before {@code . ? ! ,} and before {@code n't 'm 's 've 're} is dropped.
     */
    public String decode(int[] ids) {
        String prefix = options.continuingSubwordPrefix();
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (int id : ids) {
            String token = vocab.tokenOf(id);
            if (special[id]) {
                continue;
            }
            String piece;
            if (first) {
                piece = token;
            } else if (token.startsWith(prefix)) {
                piece = token.substring(prefix.length());
            } else {
                piece = " " + token;
            }
            out.append(cleanUp(piece));
            first = false;
        }
        return out.toString();
    }

    /** Hugging Face's {@code cleanup}, applied to one decoded piece. */
    private static String cleanUp(String piece) {
        if (piece.indexOf(' ') < 0) {
            return piece;
        }
        return piece.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    private IntList pieceIds(String text) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList();
        rawTokens.split(text, gap -> normalizedTokens.split(basic.normalize(gap),
                part -> BasicTokenizer.splitWords(part, word -> wordPiece.tokenize(word, out)), out::add), out::add);
        return out;
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** The id of a token, {@code -1} if the vocabulary lacks it. */
    public int idOf(String token) {
        return vocab.idOf(token);
    }

    public String tokenOf(int id) {
        return vocab.tokenOf(id);
    }

    public int clsId() {
        return clsId;
    }

    public int sepId() {
        return sepId;
    }

    public int unkId() {
        return unkId;
    }

    public int padId() {
        return padId;
    }

    /** The id of [MASK], {@code -1} if the vocabulary lacks it. */
    public int maskId() {
        return vocab.idOf(options.maskToken());
    }

    public TokenizerOptions options() {
        return options;
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /** Writes the vocabulary as {@code vocab.txt} (temporary file, then atomic move); see {@link Vocabulary}. */
    public void writeVocabTxt(Path file) throws IOException {
        vocab.writeVocabTxt(file);
    }
}
