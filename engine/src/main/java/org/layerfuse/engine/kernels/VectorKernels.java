package org.layerfuse.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions over {@code float[a.length]} ranges on the Vector API
 * ({@link FloatVector#SPECIES_PREFERRED}, any width), with a scalar tail and no allocation
 * once compiled. {@link ScalarKernels} holds the plain loops they are tested against;
 * {@link BufferKernels} the same kernels over off-heap (ND4J) buffers.
 *
 * <p>Precision: four vector accumulators of float lanes sum one block of at most
 * {@value #BLOCK} elements (so each lane adds at most {@code BLOCK / (4·lanes)} values);
 * every block total is then added in double. The error is that of a sum of at most
 * 32 floats (8 lanes), not of an n-element one, at float speed. The partial sums must stay finite in float
 * (|x| below ~1e36, |x|² below ~1e36 for the squares).
 *
 * <p>NaN inputs are rejected (see {@link KernelInputs}): {@link IllegalArgumentException}
 * naming the kernel and index.
 */
public final class VectorKernels {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final int UNROLL = 4 * LANES;
    /** Elements summed in float lanes before the block total is moved to double; a multiple of 4·lanes. */
    static final int BLOCK = Math.max(1024, UNROLL);

    /** Default ε of the entropies: −Σ p log(p + ε). */
    public static final float DEFAULT_EPS = 1e-12f;

    private VectorKernels() {
    }

    /** Σ x. */
    public static double sum(float[] a, int from, int length) {
        return sum("sum", a, from, length);
    }

    private static double sum(String kernel, float[] a, int from, int length) {
        KernelInputs.checkRange(kernel, a.length, from, length);
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
                s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + LANES));
                s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * LANES));
                s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * LANES));
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < end; i++) {
            total += a[i];
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN(kernel, a, from, length);
        }
        return total;
    }

    /** Σ |x|. */
    public static double sumAbs(float[] a, int from, int length) {
        return sumAbs("sumAbs", a, from, length);
    }

    private static double sumAbs(String kernel, float[] a, int from, int length) {
        KernelInputs.checkRange(kernel, a.length, from, length);
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                s0 = s0.add(FloatVector.fromArray(SPECIES, a, i).abs());
                s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + LANES).abs());
                s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * LANES).abs());
                s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * LANES).abs());
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < end; i++) {
            total += Math.abs(a[i]);
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN(kernel, a, from, length);
        }
        return total;
    }

    /** Σ x². */
    public static double sumSquares(float[] a, int from, int length) {
        return sumSquares("sumSquares", a, from, length);
    }

    private static double sumSquares(String kernel, float[] a, int from, int length) {
        KernelInputs.checkRange(kernel, a.length, from, length);
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                FloatVector v0 = FloatVector.fromArray(SPECIES, a, i);
                FloatVector v1 = FloatVector.fromArray(SPECIES, a, i + LANES);
                FloatVector v2 = FloatVector.fromArray(SPECIES, a, i + 2 * LANES);
                FloatVector v3 = FloatVector.fromArray(SPECIES, a, i + 3 * LANES);
                s0 = v0.fma(v0, s0);
                s1 = v1.fma(v1, s1);
                s2 = v2.fma(v2, s2);
                s3 = v3.fma(v3, s3);
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < end; i++) {
            total += (double) a[i] * a[i];
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN(kernel, a, from, length);
        }
        return total;
    }

    /** Σ a·b over two ranges of equal length. */
    public static double dot(float[] a, int aFrom, float[] b, int bFrom, int length) {
        KernelInputs.checkRange("dot", a.length, aFrom, length);
        KernelInputs.checkRange("dot", b.length, bFrom, length);
        int upper = length - length % UNROLL;
        double total = 0;
        for (int block = 0; block < upper; block += BLOCK) {
            int blockEnd = Math.min(block + BLOCK, upper);
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
            for (int i = block; i < blockEnd; i += UNROLL) {
                s0 = FloatVector.fromArray(SPECIES, a, aFrom + i)
                        .fma(FloatVector.fromArray(SPECIES, b, bFrom + i), s0);
                s1 = FloatVector.fromArray(SPECIES, a, aFrom + i + LANES)
                        .fma(FloatVector.fromArray(SPECIES, b, bFrom + i + LANES), s1);
                s2 = FloatVector.fromArray(SPECIES, a, aFrom + i + 2 * LANES)
                        .fma(FloatVector.fromArray(SPECIES, b, bFrom + i + 2 * LANES), s2);
                s3 = FloatVector.fromArray(SPECIES, a, aFrom + i + 3 * LANES)
                        .fma(FloatVector.fromArray(SPECIES, b, bFrom + i + 3 * LANES), s3);
            }
            total += s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < length; i++) {
            total += (double) a[aFrom + i] * b[bFrom + i];
        }
        if (Double.isNaN(total)) {
            KernelInputs.rejectNaN("dot (first input)", a, aFrom, length);
            KernelInputs.rejectNaN("dot (second input)", b, bFrom, length);
        }
        return total;
    }

    /** Number of elements equal to 0 ({@code -0.0f} counts: it compares equal to 0). */
    public static long countZeros(float[] a, int from, int length) {
        KernelInputs.checkRange("countZeros", a.length, from, length);
        int end = from + length;
        int upper = from + SPECIES.loopBound(length);
        long count = 0;
        // A count cannot carry a NaN, so NaNs are collected in a mask: one compare and one OR per vector.
        VectorMask<Float> nan = SPECIES.maskAll(false);
        for (int i = from; i < upper; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, a, i);
            count += v.eq(0f).trueCount();
            nan = nan.or(v.compare(VectorOperators.NE, v));
        }
        boolean tailNaN = false;
        for (int i = upper; i < end; i++) {
            float x = a[i];
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
    public static double mean(float[] a, int from, int length) {
        requireNonEmpty("mean", length);
        return sum("mean", a, from, length) / length;
    }

    /** Σ |x| / n (the paper's activation "intensity"); n must be > 0. */
    public static double meanAbs(float[] a, int from, int length) {
        requireNonEmpty("meanAbs", length);
        return sumAbs("meanAbs", a, from, length) / length;
    }

    /** Σ x² / n (the paper's activation "energy"); n must be > 0. */
    public static double meanSquare(float[] a, int from, int length) {
        requireNonEmpty("meanSquare", length);
        return sumSquares("meanSquare", a, from, length) / length;
    }

    /** ‖x‖₂ = √(Σ x²). */
    public static double l2Norm(float[] a, int from, int length) {
        return Math.sqrt(sumSquares("l2Norm", a, from, length));
    }

    /** {@link #l1Entropy(float[], int, int, float)} with ε = {@value #DEFAULT_EPS}. */
    public static double l1Entropy(float[] a, int from, int length) {
        return l1Entropy(a, from, length, DEFAULT_EPS);
    }

    /**
     * Entropy of the ℓ1-normalised magnitudes, H = −Σ p log(p + ε) with p = |w| / ‖w‖₁
     * (the paper's weight entropy, eq. 13). Two passes: ‖w‖₁, then the sum with p and the
     * logarithm by {@link FloatLog} (within 2 ulp of {@code Math.log}, the same bits on every run).
     * An all-zero (or empty) input has no distribution and gives 0.
     */
    public static double l1Entropy(float[] a, int from, int length, float eps) {
        KernelInputs.checkEps("l1Entropy", eps);
        double l1 = sumAbs("l1Entropy", a, from, length);
        if (l1 == 0) {
            return 0;
        }
        float inv = (float) (1 / l1);
        int end = from + length;
        int upper = from + length - length % UNROLL;
        double total = 0;
        for (int block = from; block < upper; block += BLOCK) {
            total += l1EntropyBlock(a, block, Math.min(block + BLOCK, upper), inv, eps);
        }
        for (int i = upper; i < end; i++) {
            float p = Math.abs(a[i]) * inv;
            total += p * FloatLog.log(p + eps);
        }
        return -total;
    }

    /** Per thread: one block of p = |w|/‖w‖₁ and of log(p + ε). */
    private static final ThreadLocal<float[][]> ENTROPY_SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[BLOCK], new float[BLOCK]});

    /**
     * Σ p log(p + ε) over one block: p and p + ε in float, the logarithms by {@link FloatLog}
     * (the same bits on every run, unlike {@code VectorOperators.LOG}), then the products summed
     * in float lanes. A method of its own so that no vector lives across blocks: C2 then never
     * boxes the accumulators.
     */
    static float l1EntropyBlock(float[] a, int from, int to, float inv, float eps) {
        int n = to - from;
        float[][] scratch = ENTROPY_SCRATCH.get();
        float[] p = scratch[0];
        float[] logs = scratch[1];
        for (int i = 0; i < n; i++) {
            float v = Math.abs(a[from + i]) * inv;
            p[i] = v;
            logs[i] = v + eps;
        }
        FloatLog.log(logs, 0, logs, 0, n);
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < n; i += UNROLL) {
            s0 = FloatVector.fromArray(SPECIES, p, i).fma(FloatVector.fromArray(SPECIES, logs, i), s0);
            s1 = FloatVector.fromArray(SPECIES, p, i + LANES).fma(FloatVector.fromArray(SPECIES, logs, i + LANES), s1);
            s2 = FloatVector.fromArray(SPECIES, p, i + 2 * LANES).fma(FloatVector.fromArray(SPECIES, logs, i + 2 * LANES), s2);
            s3 = FloatVector.fromArray(SPECIES, p, i + 3 * LANES).fma(FloatVector.fromArray(SPECIES, logs, i + 3 * LANES), s3);
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }

    static void requireNonEmpty(String kernel, int length) {
        if (length <= 0) {
            throw new IllegalArgumentException(kernel + ": the mean of an empty range is undefined (length " + length + ")");
        }
    }
}
