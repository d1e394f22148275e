package org.layerfuse.bert.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * {@code tokenizer.json} and {@code vocab.txt} as outside bytes: each loads (and then tokenizes
 * text with every kind of character) or fails with an error naming the file. Seeds and the inputs
 * that once failed are in {@code TokenizerFilesFuzzTestInputs/<method>/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class TokenizerFilesFuzzTest {

    private static final Path JSON = FormatErrorContract.scratchFile("tokenizer.json");
    private static final Path VOCAB = FormatErrorContract.scratchFile("vocab.txt");
    private static final String TEXT = "Hello, naïve café! unaffable 東京 \u0000\u200b ##x [CLS] [UNK] 123.45";

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void tokenizerJson(byte[] input) throws Exception {
        Files.write(JSON, input);
        FormatErrorContract.check(JSON.toString(), () -> use(WordPieceTokenizer.fromTokenizerJson(JSON)),
                IOException.class);
    }

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void vocabTxt(byte[] input) throws Exception {
        Files.write(VOCAB, input);
        FormatErrorContract.check(VOCAB.toString(), () -> use(WordPieceTokenizer.fromVocabTxt(VOCAB, true)),
                IOException.class);
    }

    /** A tokenizer that loaded must also work: tokenizing must not fail on any vocabulary it accepted. */
    private static void use(WordPieceTokenizer t) {
        Encoding e = t.encode(TEXT, 16);
        t.decode(e.inputIds());
        t.encodePair(TEXT, "second", 16);
    }
}
