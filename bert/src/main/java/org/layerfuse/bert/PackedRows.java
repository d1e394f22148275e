package org.layerfuse.bert;

/**
 * A batch's real tokens laid end to end, padding left out: sequence {@code r}'s {@code lengths[r]}
 * tokens are rows {@code [offsets[r], offsets[r] + lengths[r])} of the packed buffers. Every
 * step of a BERT layer but attention works on one token's row at a time, so on these rows it
 * computes what it computes on the padded batch for the real tokens, and nothing for the
 * padding; attention runs sequence by sequence over each one's real keys. Padding's keys get
 * probability exactly 0 in the padded batch (a mask of −10000 or less underflows exp in float32
 * and float64), so leaving them out changes the real tokens' results by float rounding only
 * (sums taken in another order), not by what is summed.
 *
 * <p>The packed row count is rounded up ({@link #roundUp}: at most an eighth more, on a few
 * dozen distinct sizes) so that batches of slightly different lengths share a product shape;
 * the extra rows hold the embedding of token 0 at position 0 and are never read back.
 *
 * @param offsets first packed row of each sequence
 * @param lengths real tokens of each sequence (its mask is {@code lengths[r]} ones then zeros)
 * @param real    rows holding real tokens (the sum of {@code lengths})
 * @param tokens  ids, positions and types of the {@link #rows()} packed rows (mask all ones)
 */
record PackedRows(int[] offsets, int[] lengths, int real, ModelInputs.Flat tokens) {

    /** Masks at or below this give padding's keys a probability of exactly 0 in float32 and float64. */
    static final double MASK_LIMIT = -1e4;

    /** Packed rows, the real ones and the rounding's extra ones. */
    int rows() {
        return tokens.ids().length;
    }

    /**
     * The packing of {@code flat}, or null where it does not apply or gains nothing: a mask that is
     * not a run of ones then zeros in every sequence, a sequence with no real token, a mask value
     * above {@link #MASK_LIMIT}, or packed rows (rounded up) no fewer than the padded ones.
     */
    static PackedRows of(ModelInputs.Flat flat, double maskValue) {
        if (maskValue > MASK_LIMIT) {
            return null;
        }
        int b = flat.batchSize();
        int s = flat.seqLen();
        SequenceLayout layout = SequenceLayout.runs(flat.mask(), b, s).layout();
        if (layout == null) {
            return null;
        }
        int[] offsets = layout.offsets();
        int[] lengths = layout.lengths();
        int real = layout.real();
        int rows = roundUp(real);
        if (rows >= b * s) {
            return null;
        }
        int[] ids = new int[rows];
        int[] positions = new int[rows];
        int[] types = new int[rows];
        for (int r = 0; r < b; r++) {
            System.arraycopy(flat.ids(), r * s, ids, offsets[r], lengths[r]);
            System.arraycopy(flat.positions(), r * s, positions, offsets[r], lengths[r]);
            System.arraycopy(flat.types(), r * s, types, offsets[r], lengths[r]);
        }
        float[] ones = new float[rows];
        java.util.Arrays.fill(ones, 1f);
        return new PackedRows(offsets, lengths, real, new ModelInputs.Flat(ids, positions, types, ones, b, s));
    }

    /**
     * {@code n} rounded up to a multiple of an eighth of its highest power of two (at least 8):
     * 628 → 640, 679 → 704; at most 8 sizes an octave, so a run of batches of varying lengths
     * makes few product shapes.
     */
    static int roundUp(int n) {
        int step = Math.max(8, Integer.highestOneBit(Math.max(1, n)) / 8);
        return (n + step - 1) / step * step;
    }

    /** The packed row of each sequence's first token ([CLS]), where the head reads. */
    int[] firstRows() {
        return offsets.clone();
    }

    /** The padded batch's row of each packed real row (a sequence's tokens are consecutive in both). */
    int[] paddedRows() {
        int s = tokens.seqLen();
        int[] rows = new int[real];
        for (int r = 0; r < offsets.length; r++) {
            for (int t = 0; t < lengths[r]; t++) {
                rows[offsets[r] + t] = r * s + t;
            }
        }
        return rows;
    }
}
