package org.layerfuse.bert;

import org.layerfuse.engine.ByteCount;
import org.layerfuse.engine.javaop.JavaOps;

/**
 * How many rows of a mini-batch one gradient call may take, so that the activations a
 * backward pass keeps stay within a memory budget: larger batches are split into micro-batches
 * of at most half the budget whose gradients are accumulated ({@link BertModel#gradients}),
 * giving the same loss and gradient as one call on the whole batch (up to float rounding of the
 * sum). Measured on {@code layerfuse eval --model bert-base} (fine-tuning at 32 × 32): peak
 * resident memory 4.44 GB in one call, 3.82 GB in micro-batches of 11 rows, 3.26 GB in
 * micro-batches of 5–6 rows with glibc's mmap threshold fixed ({@code GlibcMalloc}).
 *
 * <p>The budget is {@value #PROPERTY} (bytes, with an optional k/m/g suffix; 0 = never split),
 * default {@value #DEFAULT_BUDGET}. The estimate of a row's activation bytes is calibrated on
 * BERT-base. The graph of libnd4j ops: one 32 × 32 gradient call held at most 1.8 GB of live
 * intermediates (counted by ND4J's session memory manager), i.e. ≈ 10·(H + I) + 10·heads·seq
 * values per token and layer. The graph of Java ops ({@link JavaOps}: one op per dense layer,
 * attention, GELU and layer norm, so no chains of element-wise intermediates and no permuted
 * copies of the heads) keeps what its backward reads, Q, K, V, the context, the layer-norm and
 * FFN inputs and outputs and the probabilities: ≈ 12·H + 3·I + 2·heads·seq values per token
 * and layer (BERT-base 32 × 32: 0.96 GB, one call under the default budget of 1 GB; measured: one
 * whole-batch call peaked 0.15 GB above six micro-batches of the old estimate, 3.41 against
 * 3.26 GB resident for a training loop, and {@code eval --model bert-base} at test sizes 3.30
 * against 3.24 GB with three micro-batches under the earlier default of 768 MB, while its
 * training step took 3.37 instead of 4.08 s: three calls run smaller products and sum three
 * gradient sets).
 */
public final class MicroBatches {

    /** System property: activation budget of one gradient call. */
    public static final String PROPERTY = "layerfuse.gradientMemory";
    static final String DEFAULT_BUDGET = "1g";

    private MicroBatches() {
    }

    /** Estimated bytes of intermediates one example of {@code seqLen} tokens keeps in a gradient call. */
    public static long rowBytes(BertConfig config, int liveLayers, int seqLen, int bytesPerValue) {
        return rowBytes(config, liveLayers, seqLen, bytesPerValue, JavaOps.available());
    }

    /** {@link #rowBytes(BertConfig, int, int, int)} for the graph with or without {@link JavaOps}. */
    static long rowBytes(BertConfig config, int liveLayers, int seqLen, int bytesPerValue, boolean javaOps) {
        return rowBytes(config, liveLayers, seqLen, seqLen, bytesPerValue, javaOps);
    }

    /**
     * As above for a packed batch (padding left out, {@code BertModel.packTraining}): each example
     * keeps intermediates for {@code tokensPerRow} tokens (its share of the packed rows), each
     * token's probabilities still up to {@code seqLen} keys long.
     */
    public static long rowBytes(BertConfig config, int liveLayers, int seqLen, int tokensPerRow, int bytesPerValue) {
        return rowBytes(config, liveLayers, seqLen, tokensPerRow, bytesPerValue, JavaOps.available());
    }

    static long rowBytes(BertConfig config, int liveLayers, int seqLen, int tokensPerRow, int bytesPerValue,
                         boolean javaOps) {
        long perTokenLayer = javaOps
                ? 12L * config.hiddenSize() + 3L * config.intermediateSize() + 2L * config.numAttentionHeads() * seqLen
                : 10L * (config.hiddenSize() + config.intermediateSize()) + 10L * config.numAttentionHeads() * seqLen;
        long perRow = perTokenLayer * tokensPerRow * Math.max(1, liveLayers) + 4L * config.hiddenSize() * tokensPerRow;
        return perRow * bytesPerValue;
    }

    /**
     * Rows per gradient call under {@code budget} bytes: all of them when the whole batch fits (or
     * the budget is 0), else micro-batches of at most half the budget (at least one row), since
     * accumulating keeps a summed gradient set beside each micro-batch's own.
     */
    public static int rowsPerCall(long budget, long rowBytes, int batchRows) {
        if (budget <= 0 || rowBytes <= 0 || rowBytes * batchRows <= budget) {
            return batchRows;
        }
        long rows = budget / 2 / rowBytes;
        return (int) Math.max(1, Math.min(batchRows, rows));
    }

    /**
     * Boundaries of {@code parts} nearly equal slices of {@code rows} rows, so that no slice is a
     * small remainder: {@code [0, b1, …, rows]}.
     */
    public static int[] split(int rows, int maxRows) {
        int parts = (rows + maxRows - 1) / maxRows;
        int[] bounds = new int[parts + 1];
        for (int p = 0; p <= parts; p++) {
            bounds[p] = (int) ((long) rows * p / parts);
        }
        return bounds;
    }

    /** The budget from {@value #PROPERTY}. */
    public static long budget() {
        return parseBytes(System.getProperty(PROPERTY, DEFAULT_BUDGET));
    }

    /** Parses {@code 512m}, {@code 2g}, {@code 65536}, {@code 0}; names the property on error. */
    public static long parseBytes(String value) {
        try {
            return ByteCount.parse(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " must be a byte count such as 512m, 2g or 0 (no "
                    + "micro-batches); got '" + value + "'");
        }
    }
}
