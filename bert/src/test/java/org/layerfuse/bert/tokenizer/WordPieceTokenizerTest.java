package org.layerfuse.bert.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-checked behaviour of the tokenizer, its factories and their errors, independent of DJL. */
class WordPieceTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tiny vocabulary; ids are the indices. */
    private static final List<String> SMALL = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
            "un", "##aff", "##able", "##a", "##ff", "##ble", "aff", "a", ",", "!", // 5-14
            "café", "cafe", "Café", "Cafe", "中", "文", "中文", "😀", "##😀", "b"); // 15-24

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    static WordPieceTokenizer miniLm;

    @BeforeAll
    static void loadMiniLm() throws IOException {
        miniLm = WordPieceTokenizer.fromTokenizerJson(TokenizerTestTexts.copyMiniLmTokenizerJson(shared));
    }

    private Path writeVocab(String name, List<String> tokens) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, tokens, StandardCharsets.UTF_8);
        return file;
    }

    private WordPieceTokenizer small() throws IOException {
        return WordPieceTokenizer.fromVocabTxt(writeVocab("vocab.txt", SMALL), false);
    }

    @Test
    void naiveCafeLosesItsAccents() {
        assertEquals(List.of("naive", "cafe"), miniLm.tokenize("naïve café"));
        assertEquals(List.of("naive", "cafe"), miniLm.tokenize("NAÏVE CAFÉ"));
    }

    @Test
    void unaffableSplitsIntoThreePieces() {
        assertEquals(List.of("una", "##ffa", "##ble"), miniLm.tokenize("unaffable"));
    }

    @Test
    void greedyLongestMatchFirst() throws IOException {
        WordPieceTokenizer t = small();
        // un + ##aff + ##able, not un + ##a + ##ff + ##able or un + ##aff + ##a + ##ble
        assertEquals(List.of("un", "##aff", "##able"), t.tokenize("unaffable"));
        assertArrayEquals(new int[]{2, 5, 6, 7, 3}, t.encode("unaffable", 512).inputIds());
        assertEquals(List.of("aff", "##a"), t.tokenize("affa"));
    }

    @Test
    void aWordWithAnUncoveredCharacterIsOneUnknown() throws IOException {
        assertEquals(List.of("[UNK]", "un"), small().tokenize("unaffable☃ un"));
        assertEquals(-1, miniLm.idOf("☃"));
        assertEquals(List.of("[UNK]", "is", "cold"), miniLm.tokenize("una☃ffable is cold"));
        assertEquals(List.of("[UNK]"), small().tokenize("b2")); // "2" is in no piece
    }

    @Test
    void wordsOverOneHundredCodePointsAreUnknown() throws IOException {
        WordPieceTokenizer t = small();
        List<String> hundred = t.tokenize("a".repeat(100));
        assertEquals(100, hundred.size());
        assertEquals("a", hundred.get(0));
        assertEquals("##a", hundred.get(99));
        assertEquals(List.of("[UNK]"), t.tokenize("a".repeat(101)));
        // the limit counts code points, not UTF-16 chars
        assertEquals(100, t.tokenize("😀".repeat(100)).size());
        assertEquals(List.of("[UNK]"), t.tokenize("😀".repeat(101)));
    }

    @Test
    void specialTokensAreNeverSplitButLookalikesAre() {
        assertEquals(List.of("hello", "[SEP]", "world", "[MASK]", "!"), miniLm.tokenize("hello[SEP]world [MASK]!"));
        assertEquals(List.of("[", "cl", "##s", "]"), miniLm.tokenize("[cls]"));
    }

    @Test
    void punctuationSymbolsAndIdeographsBecomeWords() throws IOException {
        WordPieceTokenizer t = small();
        assertEquals(List.of("a", ",", "b", "!", "!"), t.tokenize("a,b!!"));
        assertEquals(List.of("中", "文"), t.tokenize("中文"));
        assertEquals(List.of("$", "5", "^", "2"), miniLm.tokenize("$5^2"));
        assertEquals(List.of("北", "京", "！"), miniLm.tokenize("北京！"));
    }

    @Test
    void cleaningDropsControlsAndTreatsAllWhitespaceAlike() {
        assertEquals(List.of("hello", "world", "!"), miniLm.tokenize("hel\u0000lo wor\u00adld\u200b\ufffd!"));
        assertEquals(List.of("good", "morning", "to", "you"), miniLm.tokenize("good\u3000morning\u00a0to\u2028you"));
        assertEquals(List.of(), miniLm.tokenize(" \u3000\u00a0\n\u2028\r\n "));
    }

    @Test
    void encodeFramesAndTruncates() throws IOException {
        WordPieceTokenizer t = small();
        Encoding e = t.encode("un aff a b", 4);
        assertArrayEquals(new int[]{2, 5, 11, 3}, e.inputIds());
        assertArrayEquals(new int[4], e.tokenTypeIds());
        assertArrayEquals(new int[]{2, 3}, t.encode("", 8).inputIds());
        assertArrayEquals(new int[]{2, 3}, t.encode("un aff", 2).inputIds());
        assertThrows(IllegalArgumentException.class, () -> t.encode("un", 1));
        assertThrows(IllegalArgumentException.class, () -> t.encodePair("un", "aff", 2));
    }

    @Test
    void encodePairMarksTheSecondSegment() throws IOException {
        Encoding e = small().encodePair("un", "aff b", 100);
        assertArrayEquals(new int[]{2, 5, 3, 11, 24, 3}, e.inputIds());
        assertArrayEquals(new int[]{0, 0, 0, 1, 1, 1}, e.tokenTypeIds());
    }

    @Test
    void longestFirstTruncation() {
        assertArrayEquals(new int[]{3, 3}, WordPieceTokenizer.longestFirst(3, 3, 10)); // fits
        assertArrayEquals(new int[]{2, 3}, WordPieceTokenizer.longestFirst(2, 10, 5)); // short part kept whole
        assertArrayEquals(new int[]{3, 2}, WordPieceTokenizer.longestFirst(10, 2, 5));
        assertArrayEquals(new int[]{3, 4}, WordPieceTokenizer.longestFirst(5, 5, 7)); // tie: odd piece to b
        assertArrayEquals(new int[]{4, 3}, WordPieceTokenizer.longestFirst(20, 10, 7)); // odd piece to the longer
        assertArrayEquals(new int[]{3, 4}, WordPieceTokenizer.longestFirst(10, 20, 7));
        assertArrayEquals(new int[]{0, 0}, WordPieceTokenizer.longestFirst(4, 9, 0));
    }

    @Test
    void batchesPadWithThePadId() throws IOException {
        WordPieceTokenizer t = small();
        TokenBatch longest = t.batch(List.of("un", "un aff a"), 16, Padding.LONGEST);
        assertArrayEquals(new int[]{2, 5, 3, 0, 0}, longest.inputIds()[0]);
        assertArrayEquals(new int[]{2, 5, 11, 12, 3}, longest.inputIds()[1]);
        assertArrayEquals(new int[]{1, 1, 1, 0, 0}, longest.attentionMask()[0]);
        assertArrayEquals(new int[]{1, 1, 1, 1, 1}, longest.attentionMask()[1]);
        TokenBatch fixed = t.batch(List.of("un", "un aff a"), 8, Padding.MAX_LENGTH);
        assertEquals(8, fixed.seqLen());
        assertEquals(8L, fixed.realTokens());
        TokenBatch pairs = t.batchPairs(List.of("un", "a"), List.of("aff", "b b b"), 6, Padding.LONGEST);
        assertArrayEquals(new int[]{2, 5, 3, 11, 3, 0}, pairs.inputIds()[0]);
        assertArrayEquals(new int[]{0, 0, 0, 1, 1, 0}, pairs.tokenTypeIds()[0]);
        assertArrayEquals(new int[]{2, 12, 3, 24, 24, 3}, pairs.inputIds()[1]);
        assertEquals(0, t.batch(List.of(), 8, Padding.LONGEST).batchSize());
        assertThrows(IllegalArgumentException.class, () -> t.batchPairs(List.of("a"), List.of(), 8, Padding.LONGEST));
    }

    @Test
    void decodeGluesPiecesAndSkipsSpecialTokens() throws IOException {
        WordPieceTokenizer t = small();
        assertEquals("unaffable, un!", t.decode(new int[]{2, 5, 6, 7, 13, 5, 14, 3, 0, 0}));
        assertEquals("the quick, brown fox.", miniLm.decode(miniLm.encode("The quick , brown fox .", 32).inputIds()));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[]{SMALL.size()}));
    }

    @Test
    void specialIdsAndLookups() throws IOException {
        WordPieceTokenizer t = small();
        assertEquals(List.of(2, 3, 1, 0, 4), List.of(t.clsId(), t.sepId(), t.unkId(), t.padId(), t.maskId()));
        assertEquals(SMALL.size(), t.vocabSize());
        assertEquals(6, t.idOf("##aff"));
        assertEquals(-1, t.idOf("nope"));
        assertEquals("中文", t.tokenOf(21));
        assertEquals(List.of(101, 102, 100, 0, 103),
                List.of(miniLm.clsId(), miniLm.sepId(), miniLm.unkId(), miniLm.padId(), miniLm.maskId()));
        assertEquals(30522, miniLm.vocabSize());
    }

    @Test
    void defaultMaxLengthComesFromTheTruncationSection() throws IOException {
        assertEquals(128, miniLm.options().defaultMaxLength());
        String longText = "word ".repeat(300);
        assertEquals(128, miniLm.encode(longText).length());
        assertEquals(512, small().encode("a ".repeat(600)).length());
    }

    @Test
    void sampleSentencesRangeFromOneTokenToMoreThan32() {
        int[] lengths = org.layerfuse.bert.SampleSentences.load().stream()
                .mapToInt(s -> miniLm.tokenize(s).size()).sorted().toArray();
        assertEquals(1, lengths[0]);
        assertTrue(lengths[lengths.length - 1] > 32 - 2, Arrays.toString(lengths));
        assertTrue(Arrays.stream(lengths).filter(n -> n > 8 - 2).count() >= 20, Arrays.toString(lengths));
    }

    @Test
    void vocabTxtMissingSepNamesTheFileAndTheToken() throws IOException {
        List<String> noSep = new ArrayList<>(SMALL);
        noSep.remove("[SEP]");
        Path file = writeVocab("no-sep-vocab.txt", noSep);
        var e = assertThrows(IllegalArgumentException.class, () -> WordPieceTokenizer.fromVocabTxt(file, true));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("lacks the special token [SEP];"), e.getMessage());

        List<String> noSepNoPad = new ArrayList<>(noSep);
        noSepNoPad.remove("[PAD]");
        Path file2 = writeVocab("no-sep-pad.txt", noSepNoPad);
        var e2 = assertThrows(IllegalArgumentException.class, () -> WordPieceTokenizer.fromVocabTxt(file2, true));
        assertTrue(e2.getMessage().contains("lacks the special tokens [SEP], [PAD];"), e2.getMessage());
    }

    @Test
    void emptyVocabTxtIsRejected() throws IOException {
        Path file = writeVocab("empty.txt", List.of());
        var e = assertThrows(IllegalArgumentException.class, () -> WordPieceTokenizer.fromVocabTxt(file, true));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void vocabTxtWrittenFromTokenizerJsonGivesTheSameIds() throws IOException {
        // the test's own vocab.txt: the tokenizer.json vocab map, sorted by id
        JsonNode vocab = JSON.readTree(shared.resolve("tokenizer.json").toFile()).path("model").path("vocab");
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byId[e.getValue().asInt()] = e.getKey();
        }
        Path vocabTxt = writeVocab("vocab.txt", Arrays.asList(byId));
        WordPieceTokenizer fromTxt = WordPieceTokenizer.fromVocabTxt(vocabTxt, true);
        assertEquals(miniLm.vocabSize(), fromTxt.vocabSize());
        for (String text : TokenizerTestTexts.all()) {
            assertArrayEquals(miniLm.encode(text, 64).inputIds(), fromTxt.encode(text, 64).inputIds(), text);
            assertEquals(miniLm.decode(miniLm.encode(text, 64).inputIds()),
                    fromTxt.decode(fromTxt.encode(text, 64).inputIds()), text);
        }
        Path exported = dir.resolve("export").resolve("vocab.txt");
        miniLm.writeVocabTxt(exported);
        assertArrayEquals(Files.readAllBytes(vocabTxt), Files.readAllBytes(exported));
        try (var files = Files.list(exported.getParent())) {
            assertEquals(List.of(exported), files.toList()); // no temporary file left behind
        }
    }

    @Test
    void concurrentUseGivesTheSameIds() {
        List<String> texts = TokenizerTestTexts.all();
        int[][] expected = texts.stream().map(s -> miniLm.encode(s, 64).inputIds()).toArray(int[][]::new);
        IntStream.range(0, 20 * texts.size()).parallel().forEach(i -> assertArrayEquals(expected[i % texts.size()],
                miniLm.encode(texts.get(i % texts.size()), 64).inputIds()));
    }

    // ---- tokenizer.json variants, built from a small vocabulary ----

    /** A BERT tokenizer.json over {@link #SMALL}, with a BertProcessing post-processor. */
    private static ObjectNode smallJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        for (String s : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            added.addObject().put("id", SMALL.indexOf(s)).put("content", s).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "BertNormalizer").put("clean_text", true).put("handle_chinese_chars", true)
                .putNull("strip_accents");
        normalizer.put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "BertProcessing");
        post.putArray("sep").add("[SEP]").add(3);
        post.putArray("cls").add("[CLS]").add(2);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < SMALL.size(); i++) {
            vocab.put(SMALL.get(i), i);
        }
        return root;
    }

    private WordPieceTokenizer fromJson(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = smallJson();
        edit.accept(root);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return WordPieceTokenizer.fromTokenizerJson(file);
    }

    private IllegalArgumentException rejected(Consumer<ObjectNode> edit) {
        return assertThrows(IllegalArgumentException.class, () -> fromJson(edit));
    }

    private static ObjectNode normalizer(ObjectNode root) {
        return (ObjectNode) root.get("normalizer");
    }

    @Test
    void normalizerSettingsFollowHuggingFace() throws IOException {
        assertEquals(List.of("cafe"), fromJson(r -> { }).tokenize("Café"));
        // strip_accents null follows lowercase = false
        assertEquals(List.of("Café"), fromJson(r -> normalizer(r).put("lowercase", false)).tokenize("Café"));
        assertEquals(List.of("café"), fromJson(r -> normalizer(r).put("strip_accents", false)).tokenize("Café"));
        assertEquals(List.of("Cafe"), fromJson(r -> normalizer(r).put("lowercase", false).put("strip_accents", true))
                .tokenize("Café"));
        assertEquals(List.of("中文"),
                fromJson(r -> normalizer(r).put("handle_chinese_chars", false)).tokenize("中文"));
        assertEquals(List.of("[UNK]"), fromJson(r -> normalizer(r).put("clean_text", false)).tokenize("a\u0000"));
        assertEquals(List.of("a"), fromJson(r -> { }).tokenize("a\u0000"));
    }

    @Test
    void normalizerSequencesThatMapOntoBert() throws IOException {
        WordPieceTokenizer wrapped = fromJson(r -> {
            ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
            seq.putArray("normalizers").add(normalizer(r));
            r.set("normalizer", seq);
        });
        assertEquals(List.of("cafe", "中", "文"), wrapped.tokenize("Café 中文"));
        WordPieceTokenizer simple = fromJson(r -> {
            ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
            ArrayNode items = seq.putArray("normalizers");
            items.addObject().put("type", "NFD");
            items.addObject().put("type", "Lowercase");
            items.addObject().put("type", "StripAccents");
            r.set("normalizer", seq);
        });
        assertEquals(List.of("cafe", "中文"), simple.tokenize("Café 中文")); // no CJK spacing in this pipeline
        var e = rejected(r -> {
            ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
            seq.putArray("normalizers").addObject().put("type", "Replace");
            r.set("normalizer", seq);
        });
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("expected BertNormalizer"),
                e.getMessage());
    }

    @Test
    void addedTokensGetHuggingFaceIds() throws IOException {
        WordPieceTokenizer t = fromJson(r -> ((ArrayNode) r.get("added_tokens")).addObject().put("id", 99)
                .put("content", "[New]").put("normalized", true).put("special", false));
        int id = SMALL.size(); // not in the model vocabulary: the next id, whatever the file says
        assertEquals(id, t.idOf("[New]"));
        assertEquals(SMALL.size() + 1, t.vocabSize());
        // normalized = true: matched after lower-casing; [SEP] (normalized = false) only as written
        assertArrayEquals(new int[]{2, 12, id, 24, id, 3}, t.encode("a[NEW]b [new]", 16).inputIds());
        assertEquals(List.of("a", "[UNK]", "[UNK]", "[UNK]"), t.tokenize("a[sep]")); // "[", "sep", "]" not in SMALL
        assertEquals("a [New] b", t.decode(new int[]{2, 12, id, 24, 3}));
    }

    @Test
    void otherModelTypesAreRejectedNamingTheFile() {
        var e = rejected(r -> ((ObjectNode) r.get("model")).put("type", "BPE").putArray("merges"));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("model.type BPE; expected WordPiece"), e.getMessage());
    }

    @Test
    void unsupportedPipelinesAreRejected() {
        assertTrue(rejected(r -> ((ObjectNode) r.get("pre_tokenizer")).put("type", "Whitespace"))
                .getMessage().contains("pre_tokenizer Whitespace; expected BertPreTokenizer"));
        assertTrue(rejected(r -> ((ObjectNode) r.get("post_processor")).put("type", "RobertaProcessing"))
                .getMessage().contains("post_processor RobertaProcessing; expected BertProcessing"));
        assertTrue(rejected(r -> ((ArrayNode) ((ObjectNode) r.get("post_processor")).get("cls")).set(1, 7))
                .getMessage().contains("gives [CLS] the id 7 in post_processor but 2 in the vocabulary"));
        assertTrue(rejected(r -> ((ObjectNode) r.get("added_tokens").get(4)).put("single_word", true))
                .getMessage().contains("single_word"));
        assertTrue(rejected(r -> ((ObjectNode) r.get("model").get("vocab")).put("un", 3))
                .getMessage().contains("model.vocab id 3 for token un"));
    }

    @Test
    void tokenizerJsonWithoutPadIsRejected() {
        var e = rejected(r -> {
            ObjectNode vocab = (ObjectNode) r.get("model").get("vocab");
            vocab.remove("[PAD]");
            vocab.put("b", 0); // keep the ids dense
            ((ArrayNode) r.get("added_tokens")).remove(0);
        });
        assertTrue(e.getMessage().contains("tokenizer.json lacks the special token [PAD];"), e.getMessage());
    }

    @Test
    void malformedJsonIsRejectedNamingTheFile() throws IOException {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{\"model\": ");
        var e = assertThrows(IllegalArgumentException.class, () -> WordPieceTokenizer.fromTokenizerJson(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("not valid JSON"),
                e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
