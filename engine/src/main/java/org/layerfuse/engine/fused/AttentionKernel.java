package org.layerfuse.engine.fused;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head scaled dot-product attention of one sequence, on the Vector API, reading Q, K
 * and V straight from their token-major {@code [S, H]} rows (head h is columns h·d … h·d + d):
 * no permute of the heads into {@code [h, S, d]} and back, as a graph needs for a batched
 * matrix product. Per head: P = softmax(Q·Kᵀ·scale + mask), context = P·V, written into the
 * head's columns of the {@code [S, H]} context rows.
 *
 * <p>Kᵀ and V of the head are first copied into a work array padded to whole vectors (S and
 * d rounded up to the lane count), so the inner loops are unmasked broadcast-FMAs over vector
 * columns, four query rows at a time (independent accumulators hide the FMA latency).
 */
public final class AttentionKernel {

    private static final VectorSpecies<Float> SPECIES = TransformerKernels.SPECIES;
    private static final int LANES = TransformerKernels.LANES;
    private static final int ROWS = 4;

    private AttentionKernel() {
    }

    /** Floats of work array {@link #sequence} needs for sequences of {@code s} tokens and heads of size {@code d}. */
    public static int workSize(int s, int d) {
        int sp = roundUp(s);
        int dp = roundUp(d);
        return d * sp + s * dp + s * sp + s * dp;
    }

    /**
     * @param q, k, v   arrays holding the sequence's {@code [s, heads·d]} rows from {@code off} (biases already added)
     * @param mask      additive key mask, {@code s} values from {@code maskOff}
     * @param ctx       receives the {@code [s, heads·d]} context rows from {@code ctxOff}
     * @param probs     if not null, receives the probabilities {@code [heads, s, s]} from {@code probsOff}
     * @param work      at least {@link #workSize(int, int)} floats
     */
    public static void sequence(float[] q, float[] k, float[] v, int off, int s, int heads, int d, float scale,
                                float[] mask, int maskOff, float[] ctx, int ctxOff, float[] probs, int probsOff,
                                float[] work) {
        int h = heads * d;
        long span = (long) s * h;
        if (s <= 0 || d <= 0 || heads <= 0 || off < 0 || off + span > q.length || off + span > k.length
                || off + span > v.length || ctxOff < 0 || ctxOff + span > ctx.length || work.length < workSize(s, d)
                || maskOff < 0 || maskOff + s > mask.length
                || probs != null && (probsOff < 0 || probsOff + (long) heads * s * s > probs.length)) {
            throw new IllegalArgumentException("AttentionKernel.sequence: " + s + " tokens × " + heads + " heads × " + d
                    + " do not fit the given arrays (q/k/v from " + off + ", ctx from " + ctxOff + ", work "
                    + work.length + " of " + workSize(s, d) + ")");
        }
        int sp = roundUp(s);
        int dp = roundUp(d);
        int kt = 0;
        int vh = d * sp;
        int sc = vh + s * dp;
        int ch = sc + s * sp;
        java.util.Arrays.fill(work, 0, sc, 0f); // the padding columns of Kᵀ and V stay zero
        for (int head = 0; head < heads; head++) {
            int ho = off + head * d;
            for (int j = 0; j < s; j++) {
                int src = ho + j * h;
                for (int e = 0; e < d; e++) {
                    work[kt + e * sp + j] = k[src + e];
                }
                System.arraycopy(v, src, work, vh + j * dp, d);
            }
            scores(q, ho, h, s, d, sp, work, kt, sc);
            TransformerKernels.scaleMaskSoftmax(work, sc, s, s, sp, scale, mask, maskOff);
            context(work, sc, s, sp, dp, vh, ch);
            for (int i = 0; i < s; i++) {
                System.arraycopy(work, ch + i * dp, ctx, ctxOff + head * d + i * h, d);
                if (probs != null) {
                    System.arraycopy(work, sc + i * sp, probs, probsOff + (head * s + i) * s, s);
                }
            }
        }
    }

    /** scores[i, j] = Σ_e q[i, e]·kᵀ[e, j] for all i &lt; s, j &lt; sp (padding columns get 0). */
    private static void scores(float[] q, int qOff, int h, int s, int d, int sp, float[] w, int kt, int sc) {
        for (int i = 0; i < s; i += ROWS) {
            int q0 = qOff + i * h;
            int q1 = qOff + Math.min(i + 1, s - 1) * h;
            int q2 = qOff + Math.min(i + 2, s - 1) * h;
            int q3 = qOff + Math.min(i + 3, s - 1) * h;
            for (int jc = 0; jc < sp; jc += LANES) {
                FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
                for (int e = 0; e < d; e++) {
                    FloatVector kv = FloatVector.fromArray(SPECIES, w, kt + e * sp + jc);
                    a0 = kv.fma(FloatVector.broadcast(SPECIES, q[q0 + e]), a0);
                    a1 = kv.fma(FloatVector.broadcast(SPECIES, q[q1 + e]), a1);
                    a2 = kv.fma(FloatVector.broadcast(SPECIES, q[q2 + e]), a2);
                    a3 = kv.fma(FloatVector.broadcast(SPECIES, q[q3 + e]), a3);
                }
                int row = sc + i * sp + jc;
                a0.intoArray(w, row);
                if (i + 1 < s) {
                    a1.intoArray(w, row + sp);
                }
                if (i + 2 < s) {
                    a2.intoArray(w, row + 2 * sp);
                }
                if (i + 3 < s) {
                    a3.intoArray(w, row + 3 * sp);
                }
            }
        }
    }

    /** ctx[i, e] = Σ_{j &lt; s} p[i, j]·v[j, e], rows dp apart. */
    private static void context(float[] w, int sc, int s, int sp, int dp, int vh, int ch) {
        for (int i = 0; i < s; i += ROWS) {
            int p0 = sc + i * sp;
            int p1 = sc + Math.min(i + 1, s - 1) * sp;
            int p2 = sc + Math.min(i + 2, s - 1) * sp;
            int p3 = sc + Math.min(i + 3, s - 1) * sp;
            for (int ec = 0; ec < dp; ec += LANES) {
                FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < s; j++) {
                    FloatVector vv = FloatVector.fromArray(SPECIES, w, vh + j * dp + ec);
                    a0 = vv.fma(FloatVector.broadcast(SPECIES, w[p0 + j]), a0);
                    a1 = vv.fma(FloatVector.broadcast(SPECIES, w[p1 + j]), a1);
                    a2 = vv.fma(FloatVector.broadcast(SPECIES, w[p2 + j]), a2);
                    a3 = vv.fma(FloatVector.broadcast(SPECIES, w[p3 + j]), a3);
                }
                int row = ch + i * dp + ec;
                a0.intoArray(w, row);
                if (i + 1 < s) {
                    a1.intoArray(w, row + dp);
                }
                if (i + 2 < s) {
                    a2.intoArray(w, row + 2 * dp);
                }
                if (i + 3 < s) {
                    a3.intoArray(w, row + 3 * dp);
                }
            }
        }
    }

    private static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }
}
