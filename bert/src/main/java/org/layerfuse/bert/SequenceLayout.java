package org.layerfuse.bert;

/**
 * Where each sequence of a batch lies in an attention op's {@code [rows, H]} inputs: sequence
 * {@code r} is rows {@code [offsets[r], offsets[r] + lengths[r])}. The padded batch is the
 * uniform layout (offsets r·S, lengths S, its mask applied inside); a packed batch
 * ({@link PackedRows}: real tokens end to end, then a few rows of rounding) has each sequence's
 * real tokens alone, read from its {@code [B, S]} mask of ones then zeros.
 *
 * @param offsets first row of each sequence
 * @param lengths rows of each sequence
 * @param real    rows inside a sequence (the lengths summed); rows past it belong to none
 */
public record SequenceLayout(int[] offsets, int[] lengths, int real) {

    /** The padded batch: {@code batch} sequences of {@code seq} rows each. */
    public static SequenceLayout uniform(int batch, int seq) {
        int[] offsets = new int[batch];
        int[] lengths = new int[batch];
        for (int r = 0; r < batch; r++) {
            offsets[r] = r * seq;
            lengths[r] = seq;
        }
        return new SequenceLayout(offsets, lengths, batch * seq);
    }

    /**
     * The layout of {@code rows} input rows for a {@code [batch, seq]} 0/1 {@code mask}: uniform
     * when {@code rows} is batch·seq, else packed, each sequence's run of ones laid end to end from
     * row 0 (what {@link ModelInputs#encode} feeds a training graph when it packs the batch).
     *
     * @throws IllegalArgumentException naming {@code what} if a packed mask is not ones then zeros
     *         in every sequence, has a sequence with no real token, or holds more real tokens than rows
     */
    public static SequenceLayout of(float[] mask, int batch, int seq, long rows, String what) {
        if (mask.length != batch * seq) {
            throw new IllegalArgumentException(what + ": a [" + batch + ", " + seq + "] mask of " + mask.length
                    + " values");
        }
        if (rows == (long) batch * seq) {
            return uniform(batch, seq);
        }
        Runs runs = runs(mask, batch, seq);
        if (runs.layout() == null) {
            throw new IllegalArgumentException(what + ": " + rows + " packed rows for a [" + batch + ", " + seq
                    + "] batch, but " + runs.fault());
        }
        if (runs.layout().real() > rows) {
            throw new IllegalArgumentException(what + ": the mask holds " + runs.layout().real()
                    + " real tokens, more than the " + rows + " packed rows");
        }
        return runs.layout();
    }

    /**
     * Each sequence's run of ones laid end to end from row 0 ({@code layout}), or why the mask has
     * none ({@code fault}).
     */
    record Runs(SequenceLayout layout, String fault) {
    }

    /**
     * The packed layout of a {@code [batch, seq]} 0/1 mask ({@link PackedRows} and {@link #of}
     * read it): null with a fault where a sequence's mask is not ones then zeros or has no real token.
     */
    static Runs runs(float[] mask, int batch, int seq) {
        int[] offsets = new int[batch];
        int[] lengths = new int[batch];
        int real = 0;
        for (int r = 0; r < batch; r++) {
            int n = 0;
            while (n < seq && mask[r * seq + n] == 1f) {
                n++;
            }
            for (int t = n; t < seq; t++) {
                if (mask[r * seq + t] != 0f) {
                    return new Runs(null, "sequence " + r + "'s mask is not ones then zeros (position " + t + " is "
                            + mask[r * seq + t] + ")");
                }
            }
            if (n == 0) {
                return new Runs(null, "sequence " + r + " has no real token");
            }
            offsets[r] = real;
            lengths[r] = n;
            real += n;
        }
        return new Runs(new SequenceLayout(offsets, lengths, real), null);
    }

    /** The longest sequence. */
    public int longest() {
        int most = 0;
        for (int n : lengths) {
            most = Math.max(most, n);
        }
        return most;
    }

    /**
     * Where each sequence's {@code [heads, len, len]} probabilities start in a probabilities array
     * that holds them sequence after sequence: the lengths' squares summed (for the uniform layout,
     * r·heads·S², the {@code [B, heads, S, S]} array's own layout).
     */
    public long[] probabilityOffsets(int heads) {
        return probabilityOffsets(lengths, heads);
    }

    /** {@link #probabilityOffsets(int)} of sequences of these lengths. */
    static long[] probabilityOffsets(int[] lengths, int heads) {
        long[] at = new long[lengths.length];
        for (int r = 1; r < at.length; r++) {
            at[r] = at[r - 1] + (long) heads * lengths[r - 1] * lengths[r - 1];
        }
        return at;
    }
}
