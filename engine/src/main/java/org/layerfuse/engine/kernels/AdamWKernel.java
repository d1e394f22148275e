package org.layerfuse.engine.kernels;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.layerfuse.engine.fused.ParallelRows;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One fused AdamW step over a parameter, its gradient and its two moments, in place, in one
 * pass over ND4J memory (PyTorch's {@code AdamW} arithmetic, float32):
 * <pre>
 *   g ← s·g                                   (s: gradient-clipping scale)
 *   m ← β1·m + (1 − β1)·g    v ← β2·v + (1 − β2)·g²
 *   θ ← θ·(1 − d) − lr · (m / c1) / (√(v / c2) + ε)    (d = lr·λ, or 0 without decay;
 *                                                        c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ)
 * </pre>
 * Written out with ND4J ops the same step costs nine passes over memory per parameter; here
 * it is one (four arrays read, three written), split over the cores for large parameters.
 */
public final class AdamWKernel {

    private static final VectorSpecies<Float> SPECIES = VectorKernels.SPECIES;
    private static final VectorSpecies<Integer> INTS = SPECIES.withLanes(int.class);
    private static final int MIN_BLOCK = 1 << 16;

    /** The scalars of one step. */
    public record Step(float gradScale, float beta1, float beta2, float correction1, float correction2, float lr,
                       float epsilon, float decay) {
    }

    /** Floats per part of {@link #sumSquares}: a multiple of every vector width's unrolled block. */
    static final int NORM_PART = 1 << 18;

    private AdamWKernel() {
    }

    /**
     * Σ g² of a float32 gradient (for the clipping norm) on every core: {@link BufferKernels}'
     * sum over fixed parts of {@value #NORM_PART} floats, the parts' sums added in order, so the
     * bits do not depend on the thread count. The same block sums as one pass over the whole
     * array; only the double additions between parts are grouped differently. A MiniLM step's
     * norm pass reads 91 MB, which one thread reads in ≈ 3.4 ms.
     */
    public static double sumSquares(FloatView g) {
        return sumSquares(g, null);
    }

    /**
     * {@link #sumSquares(FloatView)} of a gradient that is +0 outside {@code support} (null: no
     * such claim): what lies outside is not read ({@link BufferKernels#sumSquares(ByteBuffer, int,
     * int, RowSupport)}), the bits are those of the whole read. A MiniLM step's word-table gradient
     * (47 MB) then costs the few hundred rows its batch read.
     */
    public static double sumSquares(FloatView g, RowSupport support) {
        int n = g.length();
        checkSupport("sumSquares", support, n);
        int parts = (n + NORM_PART - 1) / NORM_PART;
        if (parts <= 1) {
            try {
                return BufferKernels.sumSquares(g.buffer(), 0, n, support);
            } finally {
                Reference.reachabilityFence(g);
            }
        }
        double[] sums = new double[parts];
        try {
            ByteBuffer b = g.buffer();
            ParallelRows.each(parts, 1, (from, to) -> {
                for (int k = from; k < to; k++) {
                    int start = k * NORM_PART;
                    int length = Math.min(NORM_PART, n - start);
                    sums[k] = support != null && support.zeroBetween(start, start + length) ? 0.0
                            : BufferKernels.sumSquares(b, start, length, support);
                }
            });
        } finally {
            Reference.reachabilityFence(g);
        }
        double total = 0;
        for (double s : sums) {
            total += s;
        }
        return total;
    }

    /**
     * Updates {@code param}, {@code m} and {@code v} in place from {@code grad}.
     *
     * @return false, having written nothing, when one of the arrays cannot be read in place
     *         (not float32, not C-contiguous, not on the CPU): the caller then uses ND4J ops
     */
    public static boolean update(INDArray param, INDArray grad, INDArray m, INDArray v, Step s) {
        return inPlace(param, grad, m, v, (p, g, mb, vb, n) -> update(p, g, mb, vb, n, s));
    }

    /** The four arrays' buffers, when all can be written in place (else false and nothing run). */
    private interface Buffers {
        void run(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n);
    }

    private static boolean inPlace(INDArray param, INDArray grad, INDArray m, INDArray v, Buffers body) {
        long n = param.length();
        if (grad.length() != n || m.length() != n || v.length() != n) {
            throw new IllegalArgumentException("AdamWKernel.update: lengths differ: param " + n + ", grad "
                    + grad.length() + ", m " + m.length() + ", v " + v.length());
        }
        FloatView p = NdBuffers.floatView(param);
        FloatView g = NdBuffers.floatView(grad);
        FloatView mv = NdBuffers.floatView(m);
        FloatView vv = NdBuffers.floatView(v);
        if (!p.zeroCopy() || !g.zeroCopy() || !mv.zeroCopy() || !vv.zeroCopy()) {
            return false;
        }
        try {
            body.run(p.buffer(), g.buffer(), mv.buffer(), vv.buffer(), p.length());
        } finally {
            Reference.reachabilityFence(p);
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(mv);
            Reference.reachabilityFence(vv);
        }
        return true;
    }

    /**
     * Floats per segment of {@link #update(INDArray, INDArray, INDArray, INDArray, Step, boolean[])}:
     * a multiple of every vector width (whole vectors from a segment's start, as in the one-pass update).
     */
    public static final int SEGMENT = 256;

    static {
        if (SEGMENT % SPECIES.length() != 0) { // vector widths are powers of two up to 64 floats
            throw new IllegalStateException("AdamWKernel.SEGMENT " + SEGMENT + " is no multiple of the vector width "
                    + SPECIES.length());
        }
    }

    /** Segments of an array of {@code n} floats (one flag each). */
    public static int segments(long n) {
        return Math.toIntExact((n + SEGMENT - 1) / SEGMENT);
    }

    /**
     * {@link #update(INDArray, INDArray, INDArray, INDArray, Step)} that skips what it can prove
     * unchanged, segment by segment ({@value #SEGMENT} floats): where {@code zeroMoments} says m
     * and v are +0 and the gradient is ±0 throughout, the full step would write m = v = +0 again
     * and θ·(1 − d) − lr·(+0)/(…) = θ·(1 − d), so only θ·(1 − d) is written (nothing without
     * decay) and m, v and the second read of the gradient are skipped. Other segments get the
     * full step and their flag is cleared. The bits are the one-pass update's (tested).
     *
     * <p>An embedding table's gradient is zero outside the rows a batch reads: MiniLM's word
     * table is half of its parameters, and a fine-tuning run reads a fraction of the vocabulary,
     * so most of that table then costs one read of the gradient and one of θ instead of four
     * reads and three writes.
     *
     * @param zeroMoments one flag per segment ({@link #segments}): true claims m and v are +0
     *                    there; cleared where the segment is updated
     * @return false, having written nothing, as the other overload
     */
    public static boolean update(INDArray param, INDArray grad, INDArray m, INDArray v, Step s, boolean[] zeroMoments) {
        return update(param, grad, m, v, s, zeroMoments, null);
    }

    /**
     * {@link #update(INDArray, INDArray, INDArray, INDArray, Step, boolean[])} for a gradient that
     * is +0 outside {@code support} (null: no such claim; an embedding table's gradient): the
     * segments outside it are not read. Where their moments are +0 only θ·(1 − d) is written, as
     * before but without reading the gradient to find it zero; elsewhere the full step runs with
     * the gradient's vector a +0 constant instead of its load — the same operations on the same
     * values as reading +0 and scaling it (the clipping scale is finite and not negative, else the
     * gradient is read), so the same bits. In a fine-tuning run the rows read in earlier steps
     * keep nonzero moments, and every step that does not read them again skips their gradient.
     */
    public static boolean update(INDArray param, INDArray grad, INDArray m, INDArray v, Step s, boolean[] zeroMoments,
                                 RowSupport support) {
        if (zeroMoments.length != segments(param.length())) {
            throw new IllegalArgumentException("AdamWKernel.update: " + zeroMoments.length + " zero-moment flags for "
                    + param.length() + " floats (needs " + segments(param.length()) + ", one per " + SEGMENT + ")");
        }
        checkSupport("update", support, grad.length());
        return inPlace(param, grad, m, v, (p, g, mb, vb, n) -> update(p, g, mb, vb, n, s, zeroMoments, support));
    }

    /** A support that claims rows past the end of an array of {@code n} floats names the wrong array. */
    private static void checkSupport(String kernel, RowSupport support, long n) {
        if (support != null && support.end() > n) {
            throw new IllegalArgumentException("AdamWKernel." + kernel + ": " + support + " reaches float " + support.end()
                    + " of a gradient of " + n + " floats");
        }
    }

    /** The segmented update over buffers (see the INDArray overload); segments go to the cores in turn. */
    static void update(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, Step s, boolean[] zeroMoments) {
        update(p, g, m, v, n, s, zeroMoments, null);
    }

    private static void update(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, Step s,
                               boolean[] zeroMoments, RowSupport support) {
        // m = v = +0 and g = ±0 give a zero step only when every factor on the way is finite
        boolean skippable = Float.isFinite(s.gradScale()) && Float.isFinite(1 / s.correction1())
                && Float.isFinite(1 / s.correction2()) && Float.isFinite(s.lr()) && s.epsilon() > 0;
        // a +0 gradient scaled by a finite scale ≥ 0 is +0: the constant stands for it
        RowSupport known = Float.isFinite(s.gradScale()) && s.gradScale() >= 0 ? support : null;
        int segments = segments(n);
        float keep = 1 - s.decay();
        ParallelRows.each(segments, Math.max(1, MIN_BLOCK / SEGMENT), (from, to) -> {
            int run = from * SEGMENT; // start of the segments still to update in full (one call for a run of them)
            boolean runZero = false; // whether that run's gradient is known +0
            for (int k = from; k < to; k++) {
                int start = k * SEGMENT;
                int end = Math.min(n, start + SEGMENT);
                boolean zeroGradient = known != null && known.zeroBetween(start, end);
                if (skippable && zeroMoments[k] && (zeroGradient || allZero(g, start, end))) {
                    updateRange(p, g, m, v, run, start, s, runZero);
                    run = end;
                    if (keep != 1f) {
                        scale(p, start, end, keep);
                    }
                    continue;
                }
                zeroMoments[k] = false;
                if (zeroGradient != runZero) {
                    updateRange(p, g, m, v, run, start, s, runZero);
                    run = start;
                    runZero = zeroGradient;
                }
            }
            updateRange(p, g, m, v, run, Math.min(n, to * SEGMENT), s, runZero);
        });
    }

    /**
     * Whether every float in [from, to) is +0 or −0: the bits of the whole range OR-ed together
     * with the sign bit cleared (one test at the end, not one per vector).
     */
    static boolean allZero(ByteBuffer a, int from, int to) {
        ByteOrder order = ByteOrder.nativeOrder();
        int step = INTS.length();
        int i = from;
        IntVector acc = IntVector.zero(INTS);
        for (int upper = from + INTS.loopBound(to - from); i < upper; i += step) {
            acc = acc.or(IntVector.fromByteBuffer(INTS, a, i * Float.BYTES, order));
        }
        int rest = acc.reduceLanes(VectorOperators.OR);
        for (; i < to; i++) {
            rest |= a.getInt(i * Float.BYTES);
        }
        return (rest & 0x7fffffff) == 0;
    }

    /** θ ← θ·keep over [from, to): the step's decay, the one product it makes where the rest is zero. */
    private static void scale(ByteBuffer p, int from, int to, float keep) {
        ByteOrder order = ByteOrder.nativeOrder();
        int step = SPECIES.length();
        int i = from;
        for (int upper = from + SPECIES.loopBound(to - from); i < upper; i += step) {
            FloatVector.fromByteBuffer(SPECIES, p, i * Float.BYTES, order).mul(keep).intoByteBuffer(p, i * Float.BYTES, order);
        }
        for (; i < to; i++) {
            p.putFloat(i * Float.BYTES, p.getFloat(i * Float.BYTES) * keep);
        }
    }

    /**
     * One flag per segment of {@code m} and {@code v} ({@link #segments}): whether both are +0
     * throughout it (for moments restored from a checkpoint).
     */
    public static boolean[] zeroSegments(INDArray m, INDArray v) {
        long n = m.length();
        if (v.length() != n) {
            throw new IllegalArgumentException("AdamWKernel.zeroSegments: m has " + n + " floats, v " + v.length());
        }
        boolean[] zero = new boolean[segments(n)];
        FloatView mv = NdBuffers.floatView(m);
        FloatView vv = NdBuffers.floatView(v);
        try {
            ByteBuffer mb = mv.buffer();
            ByteBuffer vb = vv.buffer();
            for (int k = 0; k < zero.length; k++) {
                int start = k * SEGMENT;
                int end = (int) Math.min(n, start + SEGMENT);
                zero[k] = positiveZeros(mb, start, end) && positiveZeros(vb, start, end);
            }
        } finally {
            Reference.reachabilityFence(mv);
            Reference.reachabilityFence(vv);
        }
        return zero;
    }

    private static boolean positiveZeros(ByteBuffer a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Float.floatToRawIntBits(a.getFloat(i * Float.BYTES)) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Splits the update into chunks of whole vectors that the cores take in turn
     * ({@link ParallelRows#each}; the elements are independent and each is computed as it would
     * be in one pass, so the result does not depend on the split). Large parameters only: a
     * chunk is at least 64 Ki floats.
     */
    static void update(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, Step s) {
        int step = SPECIES.length();
        int vectors = n / step;
        ParallelRows.each(vectors, MIN_BLOCK / step, (from, to) ->
                updateRange(p, g, m, v, from * step, to == vectors ? n : to * step, s));
    }

    /** Elements [from, to): whole vectors from {@code from}, the scalar tail only when {@code to} is the end. */
    static void updateRange(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int from, int n, Step s) {
        updateRange(p, g, m, v, from, n, s, false);
    }

    /**
     * {@link #updateRange(ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, int, int, Step)}; with
     * {@code zeroGradient} the scaled gradient is the constant +0 and {@code g} is not read.
     * Nothing is done for an empty range.
     */
    private static void updateRange(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int from, int n, Step s,
                                    boolean zeroGradient) {
        if (from >= n) {
            return;
        }
        ByteOrder order = ByteOrder.nativeOrder();
        FloatVector scale = FloatVector.broadcast(SPECIES, s.gradScale());
        FloatVector b1 = FloatVector.broadcast(SPECIES, s.beta1());
        FloatVector oneMinusB1 = FloatVector.broadcast(SPECIES, 1 - s.beta1());
        FloatVector b2 = FloatVector.broadcast(SPECIES, s.beta2());
        FloatVector oneMinusB2 = FloatVector.broadcast(SPECIES, 1 - s.beta2());
        FloatVector invC1 = FloatVector.broadcast(SPECIES, 1 / s.correction1());
        FloatVector invC2 = FloatVector.broadcast(SPECIES, 1 / s.correction2());
        FloatVector eps = FloatVector.broadcast(SPECIES, s.epsilon());
        FloatVector keep = FloatVector.broadcast(SPECIES, 1 - s.decay());
        FloatVector lr = FloatVector.broadcast(SPECIES, s.lr());
        int step = SPECIES.length();
        int upper = from + SPECIES.loopBound(n - from);
        int i = from;
        FloatVector zero = FloatVector.zero(SPECIES);
        for (; i < upper; i += step) {
            long off = (long) i * Float.BYTES;
            FloatVector gi = zeroGradient ? zero : FloatVector.fromByteBuffer(SPECIES, g, (int) off, order).mul(scale);
            FloatVector mi = FloatVector.fromByteBuffer(SPECIES, m, (int) off, order).mul(b1).add(gi.mul(oneMinusB1));
            FloatVector vi = FloatVector.fromByteBuffer(SPECIES, v, (int) off, order).mul(b2)
                    .add(gi.mul(gi).mul(oneMinusB2));
            FloatVector denominator = vi.mul(invC2).sqrt().add(eps);
            FloatVector pi = FloatVector.fromByteBuffer(SPECIES, p, (int) off, order).mul(keep)
                    .sub(mi.mul(invC1).div(denominator).mul(lr));
            mi.intoByteBuffer(m, (int) off, order);
            vi.intoByteBuffer(v, (int) off, order);
            pi.intoByteBuffer(p, (int) off, order);
        }
        for (; i < n; i++) {
            int off = i * Float.BYTES;
            float gi = zeroGradient ? 0f : g.getFloat(off) * s.gradScale();
            float mi = m.getFloat(off) * s.beta1() + gi * (1 - s.beta1());
            float vi = v.getFloat(off) * s.beta2() + gi * gi * (1 - s.beta2());
            float denominator = (float) Math.sqrt(vi / s.correction2()) + s.epsilon();
            m.putFloat(off, mi);
            v.putFloat(off, vi);
            p.putFloat(off, p.getFloat(off) * (1 - s.decay()) - mi / s.correction1() / denominator * s.lr());
        }
    }
}
