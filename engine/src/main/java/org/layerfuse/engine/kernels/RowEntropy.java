package org.layerfuse.engine.kernels;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Shannon entropy of probability rows, H_r = −Σ_j m_j p_rj log(p_rj + ε), as in the paper's
 * attention entropy (eq. 15): input {@code [rows][rowLength]} flattened row-major (e.g.
 * attention probabilities {@code [batch][heads][query][key]}, a row per query).
 *
 * <p>Masks are optional (null = everything counts) and hold weights, normally 0 or 1:
 * <ul>
 *   <li>{@code columnMask} {@code [groups][rowLength]}: row r uses mask row
 *       {@code r / rowsPerMaskRow} (for attention: the token mask {@code [batch][seq]} with
 *       {@code rowsPerMaskRow = heads·seq}, so padded keys are left out);</li>
 *   <li>{@code rowMask} {@code [rows]}: weight of row r in {@link #maskedMean} (for attention
 *       see {@link #attentionRowMask}: padded queries are left out).</li>
 * </ul>
 * Rows are not renormalised over the kept columns (softmax with a −10⁴ mask already puts
 * ~0 mass on padded keys). Vector loop over the columns in float lanes, the logarithms from
 * {@link FloatLog} (the same bits on every run, which {@code VectorOperators.LOG} did not give),
 * scalar tail; {@link ScalarKernels#rowEntropies} is the
 * reference. NaN in the probabilities or masks is rejected (IllegalArgumentException
 * naming the index).
 */
public final class RowEntropy {

    private static final VectorSpecies<Float> SPECIES = VectorKernels.SPECIES;
    private static final int LANES = VectorKernels.LANES;

    private RowEntropy() {
    }

    /** Writes H_r of each row into {@code out[0, rows)}. */
    public static void entropies(float[] p, int from, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                 float eps, float[] out) {
        checkShape("RowEntropy.entropies", p.length, from, rows, rowLength, columnMask, rowsPerMaskRow, eps);
        if (out.length < rows) {
            throw new IllegalArgumentException("RowEntropy.entropies: out has length " + out.length + ", needs " + rows);
        }
        for (int r = 0; r < rows; r++) {
            int off = from + r * rowLength;
            int maskOff = maskOffset(r, rowLength, rowsPerMaskRow, columnMask);
            out[r] = checked(rowEntropy(p, off, rowLength, columnMask, maskOff, eps), p, off, rowLength, columnMask, maskOff);
        }
    }

    /** Σ_r w_r H_r / Σ_r w_r with w = {@code rowMask} (null: plain mean over all rows). */
    public static double maskedMean(float[] p, int from, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                    float[] rowMask, float eps) {
        checkShape("RowEntropy.maskedMean", p.length, from, rows, rowLength, columnMask, rowsPerMaskRow, eps);
        checkRowMask(rowMask, rows);
        double weighted = 0;
        double weights = 0;
        for (int r = 0; r < rows; r++) {
            float w = rowMask == null ? 1f : rowMask[r];
            if (w == 0f) {
                continue;
            }
            int off = from + r * rowLength;
            int maskOff = maskOffset(r, rowLength, rowsPerMaskRow, columnMask);
            weighted += (double) w * checked(rowEntropy(p, off, rowLength, columnMask, maskOff, eps), p, off, rowLength, columnMask, maskOff);
            weights += w;
        }
        return meanOrThrow(weighted, weights, rowMask);
    }

    /** {@link #entropies(float[], int, int, int, float[], int, float, float[])} over a buffer of floats (element i at byte 4·i). */
    public static void entropies(ByteBuffer p, int from, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                 float eps, float[] out) {
        checkShape("RowEntropy.entropies", p.limit() / Float.BYTES, from, rows, rowLength, columnMask, rowsPerMaskRow, eps);
        if (out.length < rows) {
            throw new IllegalArgumentException("RowEntropy.entropies: out has length " + out.length + ", needs " + rows);
        }
        for (int r = 0; r < rows; r++) {
            int off = from + r * rowLength;
            int maskOff = maskOffset(r, rowLength, rowsPerMaskRow, columnMask);
            out[r] = checked(rowEntropy(p, off, rowLength, columnMask, maskOff, eps), p, off, rowLength, columnMask, maskOff);
        }
    }

    /** {@link #maskedMean(float[], int, int, int, float[], int, float[], float)} over a buffer of floats. */
    public static double maskedMean(ByteBuffer p, int from, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                    float[] rowMask, float eps) {
        checkShape("RowEntropy.maskedMean", p.limit() / Float.BYTES, from, rows, rowLength, columnMask, rowsPerMaskRow, eps);
        checkRowMask(rowMask, rows);
        double weighted = 0;
        double weights = 0;
        for (int r = 0; r < rows; r++) {
            float w = rowMask == null ? 1f : rowMask[r];
            if (w == 0f) {
                continue;
            }
            int off = from + r * rowLength;
            int maskOff = maskOffset(r, rowLength, rowsPerMaskRow, columnMask);
            weighted += (double) w * checked(rowEntropy(p, off, rowLength, columnMask, maskOff, eps), p, off, rowLength, columnMask, maskOff);
            weights += w;
        }
        return meanOrThrow(weighted, weights, rowMask);
    }

    /** {@link #entropies(ByteBuffer, int, int, int, float[], int, float, float[])} over a whole view ({@code rows·rowLength} floats). */
    public static void entropies(FloatView p, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow, float eps,
                                 float[] out) {
        if ((long) rows * rowLength != p.length()) {
            throw new IllegalArgumentException("RowEntropy.entropies: view of " + p.length() + " floats is not " + rows
                    + " rows × " + rowLength);
        }
        try {
            entropies(p.buffer(), 0, rows, rowLength, columnMask, rowsPerMaskRow, eps, out);
        } finally {
            Reference.reachabilityFence(p);
        }
    }

    /** {@link #maskedMean(ByteBuffer, int, int, int, float[], int, float[], float)} over a whole view ({@code rows·rowLength} floats). */
    public static double maskedMean(FloatView p, int rows, int rowLength, float[] columnMask, int rowsPerMaskRow,
                                    float[] rowMask, float eps) {
        if ((long) rows * rowLength != p.length()) {
            throw new IllegalArgumentException("RowEntropy.maskedMean: view of " + p.length() + " floats is not " + rows
                    + " rows × " + rowLength);
        }
        try {
            return maskedMean(p.buffer(), 0, rows, rowLength, columnMask, rowsPerMaskRow, rowMask, eps);
        } finally {
            Reference.reachabilityFence(p);
        }
    }

    /**
     * Row weights for attention probabilities {@code [batch][heads][seq][seq]}: query row
     * (b, h, i) gets {@code tokenMask[b·seq + i]}.
     */
    public static float[] attentionRowMask(float[] tokenMask, int batch, int heads, int seq) {
        if (batch < 0 || heads < 0 || seq < 0 || tokenMask.length != (long) batch * seq) {
            throw new IllegalArgumentException("RowEntropy.attentionRowMask: token mask of length " + tokenMask.length
                    + " does not match batch " + batch + " × seq " + seq + " (heads " + heads + ")");
        }
        float[] rows = new float[Math.multiplyExact(Math.multiplyExact(batch, heads), seq)];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(tokenMask, b * seq, rows, (b * heads + h) * seq, seq);
            }
        }
        return rows;
    }

    /** Per thread: a row of p + ε and its logarithms, and a staged row of probabilities. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private static float[][] scratch(int n) {
        float[][] s = SCRATCH.get();
        if (s[0].length < n) {
            s[0] = new float[n];
            s[1] = new float[n];
        }
        return s;
    }

    private static float rowEntropy(float[] p, int off, int n, float[] mask, int maskOff, float eps) {
        float[] logs = scratch(n)[0];
        for (int j = 0; j < n; j++) {
            logs[j] = p[off + j] + eps;
        }
        FloatLog.log(logs, 0, logs, 0, n);
        FloatVector acc = FloatVector.zero(SPECIES);
        int upper = SPECIES.loopBound(n);
        int j = 0;
        if (mask == null) {
            for (; j < upper; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, p, off + j);
                acc = v.fma(FloatVector.fromArray(SPECIES, logs, j), acc);
            }
        } else {
            for (; j < upper; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, p, off + j);
                FloatVector m = FloatVector.fromArray(SPECIES, mask, maskOff + j);
                acc = v.mul(m).fma(FloatVector.fromArray(SPECIES, logs, j), acc);
            }
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            float x = p[off + j];
            float m = mask == null ? 1f : mask[maskOff + j];
            sum += m * x * logs[j];
        }
        return -sum;
    }

    private static float rowEntropy(ByteBuffer p, int off, int n, float[] mask, int maskOff, float eps) {
        float[] row = scratch(n)[1];
        ByteOrder order = p.order();
        int upper = SPECIES.loopBound(n);
        int j = 0;
        for (; j < upper; j += LANES) {
            FloatVector.fromByteBuffer(SPECIES, p, (off + j) * Float.BYTES, order).intoArray(row, j);
        }
        for (; j < n; j++) {
            row[j] = p.getFloat((off + j) * Float.BYTES);
        }
        return rowEntropy(row, 0, n, mask, maskOff, eps);
    }

    private static float checked(float h, float[] p, int off, int n, float[] mask, int maskOff) {
        if (Float.isNaN(h)) {
            KernelInputs.rejectNaN("RowEntropy (probabilities)", p, off, n);
            if (mask != null) {
                KernelInputs.rejectNaN("RowEntropy (column mask)", mask, maskOff, n);
            }
        }
        return h;
    }

    private static float checked(float h, ByteBuffer p, int off, int n, float[] mask, int maskOff) {
        if (Float.isNaN(h)) {
            KernelInputs.rejectNaN("RowEntropy (probabilities)", p, off, n);
            if (mask != null) {
                KernelInputs.rejectNaN("RowEntropy (column mask)", mask, maskOff, n);
            }
        }
        return h;
    }

    private static int maskOffset(int row, int rowLength, int rowsPerMaskRow, float[] columnMask) {
        return columnMask == null ? 0 : (row / rowsPerMaskRow) * rowLength;
    }

    static void checkShape(String kernel, int available, int from, int rows, int rowLength, float[] columnMask,
                           int rowsPerMaskRow, float eps) {
        if (rows < 0 || rowLength < 0) {
            throw new IllegalArgumentException(kernel + ": rows (" + rows + ") and rowLength (" + rowLength + ") must be >= 0");
        }
        KernelInputs.checkRange(kernel, available, from, Math.multiplyExact(rows, rowLength));
        KernelInputs.checkEps(kernel, eps);
        if (columnMask != null) {
            if (rowsPerMaskRow <= 0) {
                throw new IllegalArgumentException(kernel + ": rowsPerMaskRow must be > 0 with a column mask, got " + rowsPerMaskRow);
            }
            long needed = (long) ((rows + rowsPerMaskRow - 1) / rowsPerMaskRow) * rowLength;
            if (columnMask.length < needed) {
                throw new IllegalArgumentException(kernel + ": column mask has length " + columnMask.length + ", needs "
                        + needed + " (ceil(" + rows + " rows / " + rowsPerMaskRow + ") mask rows × " + rowLength + ")");
            }
        }
    }

    static void checkRowMask(float[] rowMask, int rows) {
        if (rowMask != null && rowMask.length != rows) {
            throw new IllegalArgumentException("RowEntropy.maskedMean: row mask has length " + rowMask.length
                    + ", expected one weight per row (" + rows + ")");
        }
    }

    private static double meanOrThrow(double weighted, double weights, float[] rowMask) {
        if (Double.isNaN(weights)) {
            KernelInputs.rejectNaN("RowEntropy (row mask)", rowMask, 0, rowMask.length);
        }
        if (!(weights > 0)) {
            throw new IllegalArgumentException("RowEntropy.maskedMean: no row has a positive weight (rows or row mask empty)");
        }
        return weighted / weights;
    }
}
