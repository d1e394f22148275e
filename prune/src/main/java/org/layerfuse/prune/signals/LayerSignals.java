package org.layerfuse.prune.signals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The signal table of one model state: one row per encoder layer (original index), one
 * column per {@link Signal}. Removed layers have no values (they are absent, not zero):
 * {@link #isLive} says which rows exist, and reading a removed row throws.
 */
public final class LayerSignals {

    private static final int COLUMNS = Signal.values().length;
    private final boolean[] live;
    private final double[][] values;

    /** @param values {@code [layers][12]}; rows of removed layers are ignored */
    public LayerSignals(boolean[] live, double[][] values) {
        if (live.length != values.length) {
            throw new IllegalArgumentException(live.length + " layers but " + values.length + " rows");
        }
        this.live = live.clone();
        this.values = new double[values.length][];
        for (int l = 0; l < values.length; l++) {
            if (live[l]) {
                if (values[l] == null || values[l].length != COLUMNS) {
                    throw new IllegalArgumentException("layer " + l + " needs " + COLUMNS + " signal values");
                }
                for (int c = 0; c < COLUMNS; c++) {
                    if (!Double.isFinite(values[l][c])) {
                        throw new IllegalArgumentException("signal " + Signal.values()[c].displayName() + " of layer "
                                + l + " is " + values[l][c] + "; signals must be finite");
                    }
                }
                this.values[l] = values[l].clone();
            }
        }
    }

    public int numLayers() {
        return live.length;
    }

    public boolean isLive(int layer) {
        return live[layer];
    }

    public int[] liveLayers() {
        List<Integer> out = new ArrayList<>();
        for (int l = 0; l < live.length; l++) {
            if (live[l]) {
                out.add(l);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    public double get(int layer, Signal signal) {
        return row(layer)[signal.ordinal()];
    }

    /** The twelve values of a live layer, in {@link Signal} order (a copy). */
    public double[] row(int layer) {
        if (layer < 0 || layer >= live.length) {
            throw new IllegalArgumentException("layer " + layer + " is outside [0, " + live.length + ")");
        }
        if (!live[layer]) {
            throw new IllegalArgumentException("layer " + layer + " is removed: it has no signals");
        }
        return values[layer].clone();
    }

    /**
     * Signals with the same value in every live layer (within a relative 1e−9): they cannot
     * rank layers, so a strategy on them is uninformative.
     */
    public Set<Signal> uninformative() {
        Set<Signal> out = EnumSet.noneOf(Signal.class);
        int[] liveLayers = liveLayers();
        for (Signal s : Signal.values()) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (int l : liveLayers) {
                min = Math.min(min, values[l][s.ordinal()]);
                max = Math.max(max, values[l][s.ordinal()]);
            }
            if (liveLayers.length > 1 && max - min <= 1e-9 * Math.max(1.0, Math.max(Math.abs(min), Math.abs(max)))) {
                out.add(s);
            }
        }
        return out;
    }

    /** CSV with a header: layer, live, then one column per signal (empty for removed layers). */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("layer,live");
        for (Signal s : Signal.values()) {
            sb.append(',').append(s.displayName());
        }
        sb.append('\n');
        for (int l = 0; l < live.length; l++) {
            sb.append(l).append(',').append(live[l]);
            for (int c = 0; c < COLUMNS; c++) {
                sb.append(',');
                if (live[l]) {
                    sb.append(values[l][c]); // shortest decimal that reads back to the same double
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes {@link #toCsv()} atomically. */
    public void writeCsv(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.writeString(tmp, toCsv(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    /** Parses the output of {@link #toCsv()}. */
    public static LayerSignals fromCsv(String csv, String source) {
        String[] lines = csv.strip().split("\n");
        if (lines.length < 2) {
            throw new IllegalArgumentException(source + ": expected a header and at least one layer row");
        }
        String[] header = lines[0].split(",");
        if (header.length != COLUMNS + 2 || !header[0].equals("layer") || !header[1].equals("live")) {
            throw new IllegalArgumentException(source + ": header must be layer,live,<12 signals>, got " + lines[0]);
        }
        int n = lines.length - 1;
        boolean[] live = new boolean[n];
        double[][] values = new double[n][];
        for (int i = 0; i < n; i++) {
            String[] f = lines[i + 1].split(",", -1);
            if (f.length != COLUMNS + 2 || Integer.parseInt(f[0]) != i) {
                throw new IllegalArgumentException(source + ": line " + (i + 2) + " must be row " + i + " with "
                        + (COLUMNS + 2) + " fields");
            }
            live[i] = Boolean.parseBoolean(f[1]);
            if (live[i]) {
                values[i] = new double[COLUMNS];
                for (int c = 0; c < COLUMNS; c++) {
                    values[i][c] = Double.parseDouble(f[c + 2]);
                }
            }
        }
        return new LayerSignals(live, values);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerSignals other && Arrays.equals(live, other.live)
                && Arrays.deepEquals(values, other.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(live) + Arrays.deepHashCode(values);
    }
}
