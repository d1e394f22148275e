package org.layerfuse.prune.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The labelled-text file formats read by {@link TextFileDatasets}, each known by its file extensions. */
public enum TextFileFormat {
    CSV(".csv"),
    TSV(".tsv", ".tab"),
    JSONL(".jsonl", ".ndjson"),
    PARQUET(".parquet");

    private final List<String> extensions;

    TextFileFormat(String... extensions) {
        this.extensions = List.of(extensions);
    }

    public List<String> extensions() {
        return extensions;
    }

    /** The format a file's extension names (case-insensitive). */
    public static TextFileFormat of(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (TextFileFormat format : values()) {
            for (String extension : format.extensions) {
                if (name.endsWith(extension)) {
                    return format;
                }
            }
        }
        throw new IllegalArgumentException(file + ": cannot tell the format from the file name; expected one of "
                + allExtensions() + ", or give the format explicitly (csv, tsv, jsonl, parquet)");
    }

    /** True when the file name ends in one of the known extensions. */
    public static boolean isKnown(Path file) {
        try {
            of(file);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The format named {@code name} (e.g. {@code csv}, {@code ndjson}), case-insensitive. */
    public static TextFileFormat named(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        for (TextFileFormat format : values()) {
            if (format.name().toLowerCase(Locale.ROOT).equals(key) || format.extensions.contains("." + key)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown file format '" + name + "'; expected csv, tsv, jsonl (ndjson) or parquet");
    }

    static String allExtensions() {
        return String.join(", ", java.util.Arrays.stream(values()).flatMap(f -> f.extensions.stream()).toList());
    }
}
