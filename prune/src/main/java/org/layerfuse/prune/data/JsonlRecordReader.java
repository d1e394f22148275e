package org.layerfuse.prune.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines ({@code .jsonl} / {@code .ndjson}): one JSON object per line, UTF-8; blank lines
 * are skipped. Texts must be JSON strings; a label a string or an integer.
 */
public final class JsonlRecordReader implements TextRecordReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public List<TextRecord> read(Path file, ColumnSpec columns) throws IOException {
        List<TextRecord> records = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNumber++;
                if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                String where = "line " + lineNumber;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new DatasetFormatException(file, where, null, "malformed JSON: " + e.getOriginalMessage());
                }
                if (!node.isObject()) {
                    throw new DatasetFormatException(file, where, null, "expected a JSON object, got " + node.getNodeType());
                }
                records.add(new TextRecord(where, text(file, where, node, columns.textColumn()),
                        columns.textPairColumn() == null ? null : text(file, where, node, columns.textPairColumn()),
                        columns.labelColumn() == null ? null : label(file, where, node, columns.labelColumn())));
            }
        } catch (CharacterCodingException e) {
            throw new DatasetFormatException(file, "is not UTF-8 text", e);
        }
        if (records.isEmpty()) {
            throw new DatasetFormatException(file, "file is empty: expected one JSON object per line, e.g. {\""
                    + columns.textColumn() + "\": \"...\", \"" + columns.labelColumn() + "\": 0}");
        }
        return records;
    }

    private static JsonNode field(Path file, String where, JsonNode node, String column) throws DatasetFormatException {
        JsonNode value = node.get(column);
        if (value == null) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            throw new DatasetFormatException(file, where, column, "no such field; the object has " + names);
        }
        return value;
    }

    private static String text(Path file, String where, JsonNode node, String column) throws DatasetFormatException {
        JsonNode value = field(file, where, node, column);
        if (value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new DatasetFormatException(file, where, column, "expected a string, got " + value.getNodeType());
        }
        return value.textValue();
    }

    private static String label(Path file, String where, JsonNode node, String column) throws DatasetFormatException {
        JsonNode value = field(file, where, node, column);
        if (value.isNull()) {
            return null;
        }
        if (value.isTextual()) {
            return value.textValue();
        }
        if (value.isIntegralNumber()) {
            return value.bigIntegerValue().toString();
        }
        throw new DatasetFormatException(file, where, column, "expected a string or an integer label, got "
                + value.getNodeType() + " " + value);
    }
}
