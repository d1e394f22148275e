package org.layerfuse.engine.kernels;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels of {@link VectorKernels} over floats stored in a {@link ByteBuffer} (element i
 * at byte index 4·i, in the buffer's own {@link ByteBuffer#order() byte order}), read with
 * {@link FloatVector#fromByteBuffer}: this is how ND4J's off-heap data is read without a
 * copy: use the {@link FloatView} overloads for those (see {@link NdBuffers#floatView}), the
 * ByteBuffer ones for buffers Java owns. Ranges are in float elements. Same precision,
 * NaN policy and results as {@link VectorKernels}; {@link ScalarKernels} is the reference.
 */
public final class BufferKernels {

    private static final VectorSpecies<Float> SPECIES = VectorKernels.SPECIES;
    private static final int LANES = VectorKernels.LANES;
    private static final int UNROLL = VectorKernels.UNROLL;
    private static final int BLOCK = VectorKernels.BLOCK;

    private BufferKernels() {
    }

    /** Σ x. */
    public static double sum(ByteBuffer a, int from, int length) {
        return sum("sum", a, from, length);
    }

    private static double sum(String kernel, ByteBuffer a, int from, int length) {
        KernelInputs.checkRange(kernel, a, from, length);
        ByteOrder order = a.order();
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                s0 = s0.add(FloatVector.fromByteBuffer(SPECIES, a, i * Float.BYTES, order));
                s1 = s1.add(FloatVector.fromByteBuffer(SPECIES, a, (i + LANES) * Float.BYTES, order));
                s2 = s2.add(FloatVector.fromByteBuffer(SPECIES, a, (i + 2 * LANES) * Float.BYTES, order));
                s3 = s3.add(FloatVector.fromByteBuffer(SPECIES, a, (i + 3 * LANES) * Float.BYTES, order));
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < end; i++) {
            total += a.getFloat(i * Float.BYTES);
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN(kernel, a, from, length);
        }
        return total;
    }

    /** Σ |x|. */
    public static double sumAbs(ByteBuffer a, int from, int length) {
        return sumAbs("sumAbs", a, from, length);
    }

    private static double sumAbs(String kernel, ByteBuffer a, int from, int length) {
        KernelInputs.checkRange(kernel, a, from, length);
        ByteOrder order = a.order();
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                s0 = s0.add(FloatVector.fromByteBuffer(SPECIES, a, i * Float.BYTES, order).abs());
                s1 = s1.add(FloatVector.fromByteBuffer(SPECIES, a, (i + LANES) * Float.BYTES, order).abs());
                s2 = s2.add(FloatVector.fromByteBuffer(SPECIES, a, (i + 2 * LANES) * Float.BYTES, order).abs());
                s3 = s3.add(FloatVector.fromByteBuffer(SPECIES, a, (i + 3 * LANES) * Float.BYTES, order).abs());
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < end; i++) {
            total += Math.abs(a.getFloat(i * Float.BYTES));
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN(kernel, a, from, length);
        }
        return total;
    }

    /** Σ x². */
    public static double sumSquares(ByteBuffer a, int from, int length) {
        return sumSquares("sumSquares", a, from, length, null);
    }

    /**
     * Σ x² over [from, from + length) of a table that is +0 outside {@code support} (its float
     * indices counted from the buffer's start): blocks of the sum that lie outside it are not
     * read. Each skipped block would add its lanes' +0 to the total, which leaves it as it is, so
     * the result is the bits of {@link #sumSquares(ByteBuffer, int, int)} over the same range.
     */
    public static double sumSquares(ByteBuffer a, int from, int length, RowSupport support) {
        return sumSquares("sumSquares", a, from, length, support);
    }

    private static double sumSquares(String kernel, ByteBuffer a, int from, int length) {
        return sumSquares(kernel, a, from, length, null);
    }

    private static double sumSquares(String kernel, ByteBuffer a, int from, int length, RowSupport support) {
        KernelInputs.checkRange(kernel, a, from, length);
        ByteOrder order = a.order();
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            if (support != null && support.zeroBetween(block, blockEnd)) {
                continue;
            }
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                FloatVector v0 = FloatVector.fromByteBuffer(SPECIES, a, i * Float.BYTES, order);
                FloatVector v1 = FloatVector.fromByteBuffer(SPECIES, a, (i + LANES) * Float.BYTES, order);
                FloatVector v2 = FloatVector.fromByteBuffer(SPECIES, a, (i + 2 * LANES) * Float.BYTES, order);
                FloatVector v3 = FloatVector.fromByteBuffer(SPECIES, a, (i + 3 * LANES) * Float.BYTES, order);
                s0 = v0.fma(v0, s0);
                s1 = v1.fma(v1, s1);
                s2 = v2.fma(v2, s2);
                s3 = v3.fma(v3, s3);
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < end; i++) {
            total += (double) a.getFloat(i * Float.BYTES) * a.getFloat(i * Float.BYTES);
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN(kernel, a, from, length);
        }
        return total;
    }

    /** Σ a·b over two ranges of equal length. */
    public static double dot(ByteBuffer a, int aFrom, ByteBuffer b, int bFrom, int length) {
        KernelInputs.checkRange("dot", a, aFrom, length);
        KernelInputs.checkRange("dot", b, bFrom, length);
        ByteOrder order = a.order();
        ByteOrder bOrder = b.order();
        int upper = length - length % UNROLL;
        double total = 0;
        for (int block = 0; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                s0 = FloatVector.fromByteBuffer(SPECIES, a, (aFrom + i) * Float.BYTES, order)
                        .fma(FloatVector.fromByteBuffer(SPECIES, b, (bFrom + i) * Float.BYTES, bOrder), s0);
                s1 = FloatVector.fromByteBuffer(SPECIES, a, (aFrom + i + LANES) * Float.BYTES, order)
                        .fma(FloatVector.fromByteBuffer(SPECIES, b, (bFrom + i + LANES) * Float.BYTES, bOrder), s1);
                s2 = FloatVector.fromByteBuffer(SPECIES, a, (aFrom + i + 2 * LANES) * Float.BYTES, order)
                        .fma(FloatVector.fromByteBuffer(SPECIES, b, (bFrom + i + 2 * LANES) * Float.BYTES, bOrder), s2);
                s3 = FloatVector.fromByteBuffer(SPECIES, a, (aFrom + i + 3 * LANES) * Float.BYTES, order)
                        .fma(FloatVector.fromByteBuffer(SPECIES, b, (bFrom + i + 3 * LANES) * Float.BYTES, bOrder), s3);
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < length; i++) {
            total += (double) a.getFloat((aFrom + i) * Float.BYTES) * b.getFloat((bFrom + i) * Float.BYTES);
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN("dot (first input)", a, aFrom, length);
            KernelInputs.rejectNaN("dot (second input)", b, bFrom, length);
        }
        return total;
    }

    /** Number of elements equal to 0 ({@code -0.0f} counts: it compares equal to 0). */
    public static long countZeros(ByteBuffer a, int from, int length) {
        KernelInputs.checkRange("countZeros", a, from, length);
        ByteOrder order = a.order();
        int end = from + length;
        int upper = from + SPECIES.loopBound(length);
        long count = 0;
        // A count cannot carry a NaN, so NaNs are collected in a mask: one compare and one OR per vector.
        VectorMask<Float> nan = SPECIES.maskAll(false);
        for (int i = from; i < upper; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(SPECIES, a, i * Float.BYTES, order);
            count += v.eq(0f).trueCount();
            nan = nan.or(v.compare(VectorOperators.NE, v));
        }
        boolean tailNaN = false;
        for (int i = upper; i < end; i++) {
            float x = a.getFloat(i * Float.BYTES);
            if (x == 0f) {
                count++;
            }
            tailNaN |= x != x;
        }
        if (tailNaN || nan.anyTrue()) {
            KernelInputs.rejectNaN("countZeros", a, from, length);
        }
        return count;
    }

    /** Σ x / n; n must be > 0. */
    public static double mean(ByteBuffer a, int from, int length) {
        VectorKernels.requireNonEmpty("mean", length);
        return sum("mean", a, from, length) / length;
    }

    /** Σ |x| / n (the paper's activation "intensity"); n must be > 0. */
    public static double meanAbs(ByteBuffer a, int from, int length) {
        VectorKernels.requireNonEmpty("meanAbs", length);
        return sumAbs("meanAbs", a, from, length) / length;
    }

    /** Σ x² / n (the paper's activation "energy"); n must be > 0. */
    public static double meanSquare(ByteBuffer a, int from, int length) {
        VectorKernels.requireNonEmpty("meanSquare", length);
        return sumSquares("meanSquare", a, from, length) / length;
    }

    /** ‖x‖₂ = √(Σ x²). */
    public static double l2Norm(ByteBuffer a, int from, int length) {
        return Math.sqrt(sumSquares("l2Norm", a, from, length));
    }

    /** {@link #l1Entropy(ByteBuffer, int, int, float)} with ε = {@value VectorKernels#DEFAULT_EPS}. */
    public static double l1Entropy(ByteBuffer a, int from, int length) {
        return l1Entropy(a, from, length, VectorKernels.DEFAULT_EPS);
    }

    /**
     * See {@link VectorKernels#l1Entropy(float[], int, int, float)}.
     */
    public static double l1Entropy(ByteBuffer a, int from, int length, float eps) {
        KernelInputs.checkEps("l1Entropy", eps);
        double l1 = sumAbs("l1Entropy", a, from, length);
        if (l1 == 0) {
            return 0;
        }
        float inv = (float) (1 / l1);
        int end = from + length;
        int upper = from + length - length % UNROLL;
        ByteBuffer at = a.duplicate().order(a.order());
        at.position(0);
        FloatBuffer floats = at.asFloatBuffer();
        float[] chunk = CHUNK.get();
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int n = Math.min(block + BLOCK, upper) - block;
            floats.get(block, chunk, 0, n);
            total += VectorKernels.l1EntropyBlock(chunk, 0, n, inv, eps);
        }
        for (int i = upper; i < end; i++) {
            float p = Math.abs(a.getFloat(i * Float.BYTES)) * inv;
            total += p * FloatLog.log(p + eps);
        }
        return -total;
    }

    /**
     * Per thread: one block of the buffer's floats, for {@link #l1Entropy(ByteBuffer, int, int, float)}
     * to run the array kernel's block (the same blocks, logarithms and sums, so the same bits as
     * {@link VectorKernels#l1Entropy(float[], int, int, float)} on the same values).
     */
    private static final ThreadLocal<float[]> CHUNK = ThreadLocal.withInitial(() -> new float[BLOCK]);

    // FloatView overloads: the whole view, with the view (and so its ND4J array) kept reachable until the result is in.

    public static double sum(FloatView v) {
        try {
            return sum(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double sumAbs(FloatView v) {
        try {
            return sumAbs(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double sumSquares(FloatView v) {
        try {
            return sumSquares(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static long countZeros(FloatView v) {
        try {
            return countZeros(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double mean(FloatView v) {
        try {
            return mean(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double meanAbs(FloatView v) {
        try {
            return meanAbs(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double meanSquare(FloatView v) {
        try {
            return meanSquare(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double l2Norm(FloatView v) {
        try {
            return l2Norm(v.buffer(), 0, v.length());
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    public static double l1Entropy(FloatView v, float eps) {
        try {
            return l1Entropy(v.buffer(), 0, v.length(), eps);
        } finally {
            Reference.reachabilityFence(v);
        }
    }

    /** Σ a·b over two views of equal length. */
    public static double dot(FloatView a, FloatView b) {
        if (a.length() != b.length()) {
            throw new IllegalArgumentException("dot: views of different lengths " + a.length() + " and " + b.length());
        }
        try {
            return dot(a.buffer(), 0, b.buffer(), 0, a.length());
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
        }
    }
}
