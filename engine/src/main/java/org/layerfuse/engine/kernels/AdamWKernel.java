package org.layerfuse.engine.kernels;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
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
        int n = g.length();
        int parts = (n + NORM_PART - 1) / NORM_PART;
        if (parts <= 1) {
            return BufferKernels.sumSquares(g);
        }
        double[] sums = new double[parts];
        try {
            ByteBuffer b = g.buffer();
            ParallelRows.each(parts, 1, (from, to) -> {
                for (int k = from; k < to; k++) {
                    int start = k * NORM_PART;
                    sums[k] = BufferKernels.sumSquares(b, start, Math.min(NORM_PART, n - start));
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
            update(p.buffer(), g.buffer(), mv.buffer(), vv.buffer(), p.length(), s);
        } finally {
            Reference.reachabilityFence(p);
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(mv);
            Reference.reachabilityFence(vv);
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
        for (; i < upper; i += step) {
            long off = (long) i * Float.BYTES;
            FloatVector gi = FloatVector.fromByteBuffer(SPECIES, g, (int) off, order).mul(scale);
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
            float gi = g.getFloat(off) * s.gradScale();
            float mi = m.getFloat(off) * s.beta1() + gi * (1 - s.beta1());
            float vi = v.getFloat(off) * s.beta2() + gi * gi * (1 - s.beta2());
            float denominator = (float) Math.sqrt(vi / s.correction2()) + s.epsilon();
            m.putFloat(off, mi);
            v.putFloat(off, vi);
            p.putFloat(off, p.getFloat(off) * (1 - s.decay()) - mi / s.correction1() / denominator * s.lr());
        }
    }
}
