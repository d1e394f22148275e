package org.layerfuse.bert;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Real sentences for demos and parity tests ({@code sample-sentences.txt} next to this class, UTF-8,
 * one per line): public-domain lines and plain factual sentences from 1 to ~70 words, with accents,
 * punctuation, numbers, a URL and an e-mail address, rare words, Chinese and Japanese, and lines long
 * enough to be truncated at 32 tokens.
 */
public final class SampleSentences {

    public static final String RESOURCE = "sample-sentences.txt";

    private SampleSentences() {
    }

    /** The sentences in file order; blank lines are skipped. */
    public static List<String> load() {
        try (InputStream in = SampleSentences.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("class-path resource org/layerfuse/bert/" + RESOURCE + " is missing");
            }
            List<String> lines = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return List.copyOf(lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class-path resource org/layerfuse/bert/" + RESOURCE, e);
        }
    }
}
