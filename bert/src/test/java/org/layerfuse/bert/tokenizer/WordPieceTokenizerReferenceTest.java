package org.layerfuse.bert.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.layerfuse.bert.SampleSentences;

/**
 * Our tokenizer against Hugging Face's Rust tokenizers (through DJL, offline, its native library
 * unpacked from the jar into DJL_CACHE_DIR), both loading all-MiniLM-L6-v2's tokenizer.json: ids,
 * token types, attention masks, tokens and decoded text must be identical.
 */
class WordPieceTokenizerReferenceTest {

    @TempDir
    static Path dir;

    static WordPieceTokenizer ours;
    static final List<HuggingFaceTokenizer> opened = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        ours = WordPieceTokenizer.fromTokenizerJson(TokenizerTestTexts.copyMiniLmTokenizerJson(dir));
    }

    @AfterAll
    static void close() {
        opened.forEach(HuggingFaceTokenizer::close);
    }

    /** A DJL tokenizer over the same file; maxLength 0 = no truncation. */
    static HuggingFaceTokenizer reference(int maxLength, String padding) throws IOException {
        Map<String, String> options = maxLength > 0
                ? Map.of("addSpecialTokens", "true", "truncation", "longest_first", "maxLength",
                        String.valueOf(maxLength), "padding", padding)
                : Map.of("addSpecialTokens", "true", "truncation", "false", "padding", padding);
        HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), options);
        opened.add(t);
        return t;
    }

    @Test
    void tokensMatchWithoutTruncation() throws IOException {
        HuggingFaceTokenizer ref = reference(0, "false");
        for (String text : TokenizerTestTexts.all()) {
            var expected = ref.encode(text);
            String[] tokens = expected.getTokens();
            assertEquals(Arrays.asList(tokens).subList(1, tokens.length - 1), ours.tokenize(text), text);
            Encoding got = ours.encode(text, Integer.MAX_VALUE);
            assertArrayEquals(ints(expected.getIds()), got.inputIds(), text);
            assertArrayEquals(ints(expected.getTypeIds()), got.tokenTypeIds(), text);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 8, 3, 2})
    void singleEncodingsMatchWhenTruncated(int maxLen) throws IOException {
        HuggingFaceTokenizer ref = reference(maxLen, "false");
        for (String text : TokenizerTestTexts.all()) {
            var expected = ref.encode(text);
            Encoding got = ours.encode(text, maxLen);
            assertArrayEquals(ints(expected.getIds()), got.inputIds(), text);
            assertArrayEquals(ints(expected.getTypeIds()), got.tokenTypeIds(), text);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 32, 8, 5, 3})
    void pairEncodingsMatch(int maxLen) throws IOException {
        HuggingFaceTokenizer ref = reference(maxLen, "false");
        for (String[] pair : pairs()) {
            var expected = ref.encode(pair[0], pair[1]);
            Encoding got = ours.encodePair(pair[0], pair[1], maxLen > 0 ? maxLen : Integer.MAX_VALUE);
            String what = pair[0] + " | " + pair[1];
            assertArrayEquals(ints(expected.getIds()), got.inputIds(), what);
            assertArrayEquals(ints(expected.getTypeIds()), got.tokenTypeIds(), what);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 8})
    void batchesMatchWithBothPaddings(int maxLen) throws IOException {
        List<String> texts = TokenizerTestTexts.all();
        assertBatchEquals(reference(maxLen, "longest").batchEncode(texts),
                ours.batch(texts, maxLen, Padding.LONGEST), "LONGEST");
        assertBatchEquals(reference(maxLen, "max_length").batchEncode(texts),
                ours.batch(texts, maxLen, Padding.MAX_LENGTH), "MAX_LENGTH");
        // a batch of short texts: LONGEST pads to the longest of them, not to maxLen
        List<String> shortTexts = List.of("Hello.", "Yes", "Thank you!");
        TokenBatch shortBatch = ours.batch(shortTexts, maxLen, Padding.LONGEST);
        assertBatchEquals(reference(maxLen, "longest").batchEncode(shortTexts), shortBatch, "short LONGEST");
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 8})
    void pairBatchesMatchWithBothPaddings(int maxLen) throws IOException {
        PairList<String, String> input = new PairList<>();
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (String[] pair : pairs()) {
            input.add(pair[0], pair[1]);
            a.add(pair[0]);
            b.add(pair[1]);
        }
        assertBatchEquals(reference(maxLen, "longest").batchEncode(input),
                ours.batchPairs(a, b, maxLen, Padding.LONGEST), "LONGEST");
        assertBatchEquals(reference(maxLen, "max_length").batchEncode(input),
                ours.batchPairs(a, b, maxLen, Padding.MAX_LENGTH), "MAX_LENGTH");
    }

    @Test
    void decodeMatchesSkippingSpecialTokens() throws IOException {
        HuggingFaceTokenizer ref = reference(0, "false");
        for (String text : TokenizerTestTexts.all()) {
            long[] ids = ref.encode(text).getIds();
            assertEquals(ref.decode(ids, true), ours.decode(ints(ids)), text);
        }
    }

    /** Sample sentences paired with their neighbours (every length relation), plus empty and equal parts. */
    static List<String[]> pairs() {
        List<String> s = SampleSentences.load();
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            pairs.add(new String[]{s.get(i), s.get((i + 1) % s.size())});
            pairs.add(new String[]{s.get(i), s.get(s.size() - 1 - i)});
            pairs.add(new String[]{s.get(i), s.get(i)});
        }
        pairs.add(new String[]{"", ""});
        pairs.add(new String[]{"", s.get(s.size() - 1)});
        pairs.add(new String[]{s.get(s.size() - 1), ""});
        pairs.add(new String[]{"a b c d e", "f g h i j"});
        pairs.add(new String[]{"a b c d e f", "g h i j k"});
        pairs.add(new String[]{"a b c d e", "f g h i j k"});
        pairs.add(new String[]{"naïve café [SEP] résumé", "北京欢迎你！ 🥰 unaffable"});
        return pairs;
    }

    private static void assertBatchEquals(ai.djl.huggingface.tokenizers.Encoding[] expected, TokenBatch got,
                                          String what) {
        assertEquals(expected.length, got.batchSize(), what);
        for (int r = 0; r < expected.length; r++) {
            assertArrayEquals(ints(expected[r].getIds()), got.inputIds()[r], what + " row " + r);
            assertArrayEquals(ints(expected[r].getTypeIds()), got.tokenTypeIds()[r], what + " row " + r);
            assertArrayEquals(ints(expected[r].getAttentionMask()), got.attentionMask()[r], what + " row " + r);
        }
    }

    private static int[] ints(long[] values) {
        return Arrays.stream(values).mapToInt(Math::toIntExact).toArray();
    }
}
