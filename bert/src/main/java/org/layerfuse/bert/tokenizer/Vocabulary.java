package org.layerfuse.bert.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The token ↔ id table. Ids are dense, {@code 0..size-1}. As in Hugging Face, when a token occurs twice
 * the later id wins for {@link #idOf}, while {@link #tokenOf} still gives each id its own line.
 */
public final class Vocabulary {

    private final String[] tokens;
    private final Map<String, Integer> ids;

    /** A vocabulary whose id of {@code tokens.get(i)} is {@code i}. */
    public Vocabulary(List<String> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("a vocabulary needs at least one token");
        }
        this.tokens = tokens.toArray(new String[0]);
        this.ids = new HashMap<>(this.tokens.length * 2);
        for (int i = 0; i < this.tokens.length; i++) {
            if (this.tokens[i] == null) {
                throw new IllegalArgumentException("token id " + i + " has no token");
            }
            ids.put(this.tokens[i], i);
        }
    }

    /** Reads a BERT {@code vocab.txt}: UTF-8, one token per line, the id is the line index (from 0). */
    public static Vocabulary readVocabTxt(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer text = CharBuffer.allocate(bytes.length);
        CoderResult r = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, text, true);
        if (r.isError()) {
            // Name the line and offset: a reader error without them (MalformedInputException: "Input length = 1",
            // found by fuzzing) does not say which file or where.
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new IllegalArgumentException("vocab file " + file + ": line " + line + " (byte offset " + at
                    + ") is not valid UTF-8; expected UTF-8 text, one token per line");
        }
        text.flip();
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new java.io.StringReader(text.toString()))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("vocab file " + file + " is empty; expected one token per line");
        }
        return new Vocabulary(lines);
    }

    public int size() {
        return tokens.length;
    }

    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    /** The id of a token; {@code -1} when the vocabulary lacks it. */
    public int idOf(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public String tokenOf(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + tokens.length
                    + ")");
        }
        return tokens[id];
    }

    /**
     * Writes the vocabulary as a {@code vocab.txt} (one token per line, in id order) through a temporary
     * file in the same directory, moved into place, so a reader never sees half a file.
     */
    public void writeVocabTxt(Path file) throws IOException {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].indexOf('\n') >= 0 || tokens[i].indexOf('\r') >= 0) {
                throw new IllegalArgumentException("token id " + i + " contains a line break and cannot be written to "
                        + file);
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (Writer writer = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (String token : tokens) {
                    writer.write(token);
                    writer.write('\n');
                }
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
