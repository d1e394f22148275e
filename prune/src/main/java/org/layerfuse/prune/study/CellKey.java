package org.layerfuse.prune.study;

import java.nio.file.Path;
import java.util.Locale;

/**
 * One cell of a study: a dataset, a healing mode ({@code ce}, {@code kd}, {@code graft},
 * {@code none}), a strategy and a repeat (0 for deterministic strategies). Its run directory
 * is {@code <out>/<dataset>/<heal>/<strategy>/rep-<r>}.
 */
public record CellKey(String dataset, String heal, String strategy, int repeat) {

    public CellKey {
        for (String part : new String[] {dataset, heal, strategy}) {
            if (part == null || part.isBlank() || part.contains("/") || part.contains("\\") || part.startsWith(".")) {
                throw new IllegalArgumentException("study cell names must be plain path segments, got '" + part + "'");
            }
        }
        if (repeat < 0) {
            throw new IllegalArgumentException("repeat must be >= 0, got " + repeat);
        }
    }

    public Path directory(Path studyRoot) {
        return studyRoot.resolve(dataset).resolve(heal).resolve(strategy).resolve(String.format(Locale.ROOT, "rep-%02d",
                repeat));
    }

    @Override
    public String toString() {
        return dataset + "/" + heal + "/" + strategy + "/rep-" + repeat;
    }
}
