package org.layerfuse.prune.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Labelled text from a user's file: CSV, TSV, JSON Lines or parquet (format from the extension
 * unless {@link TextFileOptions#format()} says). Every record needs a non-blank text (and second
 * text, when a pair column is named) and a label.
 *
 * <p>Labels ({@link LabelEncoding}): as names, a value's class is its position in the given
 * label names, else in the sorted distinct values; as indices, values are integers
 * {@code 0..C−1} with C the number of given names (else largest value + 1, named "0".."C−1").
 * {@code AUTO} takes names when label names are given and every value is one of them, else
 * indices when every value is an integer, else names.
 */
public final class TextFileDatasets {

    private static final Logger LOG = LoggerFactory.getLogger(TextFileDatasets.class);
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    /** Without label names, integer labels above this are taken for a mistake rather than a class count. */
    private static final int MAX_INFERRED_CLASSES = 100_000;

    private TextFileDatasets() {
    }

    /** Reads {@code file} as a labelled dataset named after the file (extension dropped). */
    public static LabeledDataset load(Path file, TextFileOptions options) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException(file, "no such file");
        }
        TextFileFormat format = options.format() != null ? options.format() : TextFileFormat.of(file);
        ColumnSpec columns = options.columns();
        List<TextRecord> records = TextRecordReader.of(format).read(file, columns);
        for (TextRecord r : records) {
            requireText(file, r.where(), columns.textColumn(), r.text());
            if (columns.textPairColumn() != null) {
                requireText(file, r.where(), columns.textPairColumn(), r.textPair());
            }
            if (r.label() == null || r.label().isBlank()) {
                throw new DatasetFormatException(file, r.where(), columns.labelColumn(), "empty label");
            }
        }
        LabelMap labels = labelMap(file, records, options);
        List<Example> examples = new ArrayList<>(records.size());
        for (TextRecord r : records) {
            examples.add(new Example(r.text(), r.textPair(), labels.classOf(file, r, columns.labelColumn())));
        }
        String name = file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        LabeledDataset dataset = new LabeledDataset(name, labels.names(), examples);
        LOG.info("Read {} examples from {} ({}, {} classes {}, labels as {})", examples.size(), file, format,
                labels.names().size(), labels.names(), labels.byIndex() ? "indices" : "names");
        int[] counts = dataset.classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] == 0) {
                LOG.warn("{}: class {} ('{}') has no examples", file, c, labels.names().get(c));
            }
        }
        return dataset;
    }

    /**
     * The records of a file to predict on, in file order: text (and second text) required and
     * non-empty in every record; the label column is not read ({@code columns} may have none).
     *
     * @param format null to tell it from the file name
     * @throws DatasetFormatException naming the file, the record (line or record number) and the column
     */
    public static List<TextRecord> readTexts(Path file, ColumnSpec columns, TextFileFormat format) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException(file, "no such file");
        }
        ColumnSpec textsOnly = ColumnSpec.unlabelled(columns.textColumn(), columns.textPairColumn());
        List<TextRecord> records = TextRecordReader.of(format != null ? format : TextFileFormat.of(file))
                .read(file, textsOnly);
        for (TextRecord r : records) {
            requireText(file, r.where(), columns.textColumn(), r.text());
            if (columns.textPairColumn() != null) {
                requireText(file, r.where(), columns.textPairColumn(), r.textPair());
            }
        }
        return records;
    }

    private static void requireText(Path file, String where, String column, String text) throws DatasetFormatException {
        if (text == null || text.isBlank()) {
            throw new DatasetFormatException(file, where, column, "empty text");
        }
    }

    /** Class names and whether values are read as indices (else as names). */
    private record LabelMap(List<String> names, boolean byIndex) {
        int classOf(Path file, TextRecord r, String column) throws DatasetFormatException {
            String value = r.label().strip();
            if (!byIndex) {
                int index = names.indexOf(value);
                if (index < 0) {
                    throw new DatasetFormatException(file, r.where(), column, "unknown label '" + value
                            + "'; expected one of " + names);
                }
                return index;
            }
            if (!INTEGER.matcher(value).matches()) {
                throw new DatasetFormatException(file, r.where(), column, "label '" + value
                        + "' is not an integer class index (labels are read as indices 0.." + (names.size() - 1) + ")");
            }
            long index;
            try {
                index = Long.parseLong(value);
            } catch (NumberFormatException e) {
                index = -1;
            }
            if (index < 0 || index >= names.size()) {
                throw new DatasetFormatException(file, r.where(), column, "label " + value + " is out of range 0.."
                        + (names.size() - 1) + " (classes " + names + ")");
            }
            return (int) index;
        }
    }

    private static LabelMap labelMap(Path file, List<TextRecord> records, TextFileOptions options) throws DatasetFormatException {
        List<String> given = options.labelNames();
        boolean allIntegers = records.stream().allMatch(r -> INTEGER.matcher(r.label().strip()).matches());
        boolean allNamed = given != null && records.stream().allMatch(r -> given.contains(r.label().strip()));
        boolean byIndex = switch (options.labelEncoding()) {
            case NAMES -> false;
            case INDICES -> true;
            case AUTO -> !allNamed && allIntegers;
        };
        if (given != null) {
            return new LabelMap(given, byIndex);
        }
        if (!byIndex) {
            TreeSet<String> distinct = new TreeSet<>();
            records.forEach(r -> distinct.add(r.label().strip()));
            return new LabelMap(List.copyOf(distinct), false);
        }
        long max = -1;
        for (TextRecord r : records) {
            String value = r.label().strip();
            if (!INTEGER.matcher(value).matches()) {
                throw new DatasetFormatException(file, r.where(), options.columns().labelColumn(), "label '" + value
                        + "' is not an integer class index (labels are read as indices)");
            }
            long index;
            try {
                index = Long.parseLong(value);
            } catch (NumberFormatException e) {
                index = Long.MAX_VALUE;
            }
            if (index < 0 || index >= MAX_INFERRED_CLASSES) {
                throw new DatasetFormatException(file, r.where(), options.columns().labelColumn(), "label " + value
                        + " is not a class index 0..C-1; give label names, or read labels as names");
            }
            max = Math.max(max, index);
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c <= max; c++) {
            names.add(Integer.toString(c));
        }
        return new LabelMap(names, true);
    }
}
