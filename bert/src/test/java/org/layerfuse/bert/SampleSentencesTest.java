package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SampleSentencesTest {

    private static boolean any(List<String> lines, String regex) {
        return lines.stream().anyMatch(s -> s.matches(".*(" + regex + ").*"));
    }

    @Test
    void coversWhatTheTokenizerTestsNeed() {
        List<String> s = SampleSentences.load();
        assertTrue(s.size() >= 24, "only " + s.size() + " sentences");
        assertEquals(s.size(), s.stream().distinct().count(), "duplicate sentences");
        assertTrue(s.stream().allMatch(line -> line.equals(line.strip()) && !line.isEmpty()));
        int minWords = s.stream().mapToInt(line -> line.split("\\s+").length).min().orElseThrow();
        int maxWords = s.stream().mapToInt(line -> line.split("\\s+").length).max().orElseThrow();
        assertEquals(1, minWords);
        assertTrue(maxWords >= 60, "longest sentence has " + maxWords + " words");
        assertTrue(any(s, "naïve") && any(s, "café") && any(s, "résumé"), "accents");
        assertTrue(any(s, "https?://\\S+"), "URL");
        assertTrue(any(s, "\\w+@\\w+\\.\\w+"), "e-mail address");
        assertTrue(any(s, "\\d"), "numbers");
        assertTrue(any(s, "[\\p{IsHan}]"), "CJK");
        assertTrue(any(s, "[;:!?(),“”—]"), "punctuation");
    }
}
