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
 * columns, four query rows by two column vectors at a time (eight independent accumulators
 * hide the FMA latency and halve the broadcasts per FMA).
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

    /** Floats of work array {@link #sequenceBackward} needs for sequences of {@code s} tokens and heads of size {@code d}. */
    public static int backwardWorkSize(int s, int d) {
        int sp = roundUp(s);
        int dp = roundUp(d);
        return d * sp + 4 * s * sp + 6 * s * dp;
    }

    /**
     * Gradient of {@link #sequence} for one sequence: given Q, K, V, the probabilities P it
     * computed and the context gradient dC, per head
     * <pre>
     *   dP = dC·Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale,
     *   dQ = dS·K,   dK = dSᵀ·Q,   dV = Pᵀ·dC
     * </pre>
     * (the mask is an additive constant: no gradient). The four products are the forward's
     * blocked kernel over head-contiguous copies padded to whole vectors.
     *
     * @param q, k, v, dCtx  the sequence's {@code [s, heads·d]} rows from {@code off}
     * @param probs          the probabilities {@code [heads, s, s]} from {@code probsOff}
     * @param dq, dk, dv     receive the {@code [s, heads·d]} rows from {@code off}
     * @param work           at least {@link #backwardWorkSize(int, int)} floats
     */
    public static void sequenceBackward(float[] q, float[] k, float[] v, float[] dCtx, int off, int s, int heads,
                                        int d, float scale, float[] probs, int probsOff, float[] dq, float[] dk,
                                        float[] dv, float[] work) {
        int h = heads * d;
        long span = (long) s * h;
        for (float[] a : new float[][]{q, k, v, dCtx, dq, dk, dv}) {
            if (s <= 0 || d <= 0 || heads <= 0 || off < 0 || off + span > a.length) {
                throw new IllegalArgumentException("AttentionKernel.sequenceBackward: " + s + " tokens × " + heads
                        + " heads × " + d + " from " + off + " do not fit an array of " + a.length);
            }
        }
        if (probsOff < 0 || probsOff + (long) heads * s * s > probs.length || work.length < backwardWorkSize(s, d)) {
            throw new IllegalArgumentException("AttentionKernel.sequenceBackward: probabilities from " + probsOff
                    + " or work " + work.length + " (needs " + backwardWorkSize(s, d) + ") too small");
        }
        int sp = roundUp(s);
        int dp = roundUp(d);
        int vt = 0;                 // Vᵀ      [d, sp]
        int dP = vt + d * sp;       // dP      [s, sp]
        int dS = dP + s * sp;       // dS      [s, sp]
        int dSt = dS + s * sp;      // dSᵀ     [s, sp]
        int pt = dSt + s * sp;      // Pᵀ      [s, sp]
        int kh = pt + s * sp;       // K_h     [s, dp]
        int qh = kh + s * dp;       // Q_h     [s, dp]
        int dch = qh + s * dp;      // dC_h    [s, dp]
        int dqh = dch + s * dp;     // dQ_h    [s, dp]
        int dkh = dqh + s * dp;     // dK_h    [s, dp]
        int dvh = dkh + s * dp;     // dV_h    [s, dp]
        java.util.Arrays.fill(work, 0, dvh + s * dp, 0f); // padding stays zero
        for (int head = 0; head < heads; head++) {
            int ho = off + head * d;
            int po = probsOff + head * s * s;
            for (int j = 0; j < s; j++) {
                int src = ho + j * h;
                for (int e = 0; e < d; e++) {
                    work[vt + e * sp + j] = v[src + e];
                }
                System.arraycopy(k, src, work, kh + j * dp, d);
                System.arraycopy(q, src, work, qh + j * dp, d);
                System.arraycopy(dCtx, src, work, dch + j * dp, d);
                for (int i = 0; i < s; i++) {
                    work[pt + j * sp + i] = probs[po + i * s + j];
                }
            }
            rowBlockProduct(dCtx, ho, h, s, d, work, vt, sp, work, dP);
            for (int i = 0; i < s; i++) {
                int pr = po + i * s;
                int gr = dP + i * sp;
                float dot = 0f;
                for (int j = 0; j < s; j++) {
                    dot += probs[pr + j] * work[gr + j];
                }
                for (int j = 0; j < s; j++) {
                    float g = probs[pr + j] * (work[gr + j] - dot) * scale;
                    work[dS + i * sp + j] = g;
                    work[dSt + j * sp + i] = g;
                }
            }
            rowBlockProduct(work, dS, sp, s, s, work, kh, dp, work, dqh);
            rowBlockProduct(work, dSt, sp, s, s, work, qh, dp, work, dkh);
            rowBlockProduct(work, pt, sp, s, s, work, dch, dp, work, dvh);
            for (int i = 0; i < s; i++) {
                int dst = ho + i * h;
                System.arraycopy(work, dqh + i * dp, dq, dst, d);
                System.arraycopy(work, dkh + i * dp, dk, dst, d);
                System.arraycopy(work, dvh + i * dp, dv, dst, d);
            }
        }
    }

    /** scores[i, j] = Σ_e q[i, e]·kᵀ[e, j] for all i &lt; s, j &lt; sp (padding columns get 0). */
    private static void scores(float[] q, int qOff, int h, int s, int d, int sp, float[] w, int kt, int sc) {
        rowBlockProduct(q, qOff, h, s, d, w, kt, sp, w, sc);
    }

    /** ctx[i, e] = Σ_{j &lt; s} p[i, j]·v[j, e], rows dp apart. */
    private static void context(float[] w, int sc, int s, int sp, int dp, int vh, int ch) {
        rowBlockProduct(w, sc, sp, s, s, w, vh, dp, w, ch);
    }

    /**
     * out[i, c] = Σ_k a[i, k]·b[k, c] for i &lt; rows, c &lt; cols, four rows of {@code a} at a
     * time against two vectors of {@code b}'s columns (eight independent accumulators: two
     * vector loads and four broadcasts feed eight FMAs), then one vector for an odd last one.
     * Rows of {@code a} are {@code aStride} apart; {@code b} and {@code out} are row-major with
     * {@code cols} (a multiple of the vector width) per row.
     */
    private static void rowBlockProduct(float[] a, int aOff, int aStride, int rows, int inner, float[] b, int bOff,
                                        int cols, float[] out, int outOff) {
        for (int i = 0; i < rows; i += ROWS) {
            int a0Row = aOff + i * aStride;
            int a1Row = aOff + Math.min(i + 1, rows - 1) * aStride;
            int a2Row = aOff + Math.min(i + 2, rows - 1) * aStride;
            int a3Row = aOff + Math.min(i + 3, rows - 1) * aStride;
            int valid = Math.min(ROWS, rows - i);
            int c = 0;
            for (; c + 2 * LANES <= cols; c += 2 * LANES) {
                FloatVector x0 = FloatVector.zero(SPECIES), x1 = x0, x2 = x0, x3 = x0;
                FloatVector y0 = x0, y1 = x0, y2 = x0, y3 = x0;
                for (int k = 0; k < inner; k++) {
                    int bRow = bOff + k * cols + c;
                    FloatVector bx = FloatVector.fromArray(SPECIES, b, bRow);
                    FloatVector by = FloatVector.fromArray(SPECIES, b, bRow + LANES);
                    FloatVector s0 = FloatVector.broadcast(SPECIES, a[a0Row + k]);
                    FloatVector s1 = FloatVector.broadcast(SPECIES, a[a1Row + k]);
                    FloatVector s2 = FloatVector.broadcast(SPECIES, a[a2Row + k]);
                    FloatVector s3 = FloatVector.broadcast(SPECIES, a[a3Row + k]);
                    x0 = bx.fma(s0, x0);
                    y0 = by.fma(s0, y0);
                    x1 = bx.fma(s1, x1);
                    y1 = by.fma(s1, y1);
                    x2 = bx.fma(s2, x2);
                    y2 = by.fma(s2, y2);
                    x3 = bx.fma(s3, x3);
                    y3 = by.fma(s3, y3);
                }
                int row = outOff + i * cols + c;
                store(x0, y0, out, row);
                if (valid > 1) {
                    store(x1, y1, out, row + cols);
                }
                if (valid > 2) {
                    store(x2, y2, out, row + 2 * cols);
                }
                if (valid > 3) {
                    store(x3, y3, out, row + 3 * cols);
                }
            }
            for (; c < cols; c += LANES) {
                FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0; k < inner; k++) {
                    FloatVector bv = FloatVector.fromArray(SPECIES, b, bOff + k * cols + c);
                    a0 = bv.fma(FloatVector.broadcast(SPECIES, a[a0Row + k]), a0);
                    a1 = bv.fma(FloatVector.broadcast(SPECIES, a[a1Row + k]), a1);
                    a2 = bv.fma(FloatVector.broadcast(SPECIES, a[a2Row + k]), a2);
                    a3 = bv.fma(FloatVector.broadcast(SPECIES, a[a3Row + k]), a3);
                }
                int row = outOff + i * cols + c;
                a0.intoArray(out, row);
                if (valid > 1) {
                    a1.intoArray(out, row + cols);
                }
                if (valid > 2) {
                    a2.intoArray(out, row + 2 * cols);
                }
                if (valid > 3) {
                    a3.intoArray(out, row + 3 * cols);
                }
            }
        }
    }

    private static void store(FloatVector x, FloatVector y, float[] out, int at) {
        x.intoArray(out, at);
        y.intoArray(out, at + LANES);
    }

    private static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }
}
