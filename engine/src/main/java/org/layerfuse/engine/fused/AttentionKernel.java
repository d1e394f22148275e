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
 * <p>The forward works on the transposed scores Sᵀ = K·Qᵀ (a key per row, a query per column):
 * only Q of the head is copied (transposed, padded to whole vectors), the softmax over the keys
 * runs lane-wise down the columns (no reduction across lanes, which cost more than the
 * arithmetic for rows of 32 keys), and the context product reads V's rows and writes the
 * context rows in place when d is a whole number of vectors and the sequence is short. The
 * products are unmasked broadcast-FMAs over vector columns, four rows by two column vectors at
 * a time (eight independent accumulators hide the FMA latency and halve the broadcasts per FMA).
 */
public final class AttentionKernel {

    private static final VectorSpecies<Float> SPECIES = TransformerKernels.SPECIES;
    private static final int LANES = TransformerKernels.LANES;
    private static final int ROWS = 4;
    /**
     * Longest sequence whose V rows the context product reads in place (when d is a whole
     * number of vectors). Longer ones are packed first: at 128 keys × 64 the in-place rows, a
     * row of all heads apart, came from the second-level cache for every block of four queries
     * and the kernel ran 15 % slower than with the packed copy.
     */
    private static final int IN_PLACE_MAX_KEYS = 64;

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
        boolean direct = d % LANES == 0 && s <= IN_PLACE_MAX_KEYS; // V and the context rows used in place
        int qt = 0;            // Qᵀ of the head  [d, sp]
        int st = qt + d * sp;  // Sᵀ = K·Qᵀ       [s, sp]: key j's row holds its score for every query
        int vh = st + s * sp;  // V of the head   [s, dp] (only when d is not a whole number of vectors)
        int ch = vh + s * dp;  // its context     [s, dp]
        if (sp != s) {
            java.util.Arrays.fill(work, qt, st, 0f); // Qᵀ's padding columns stay zero
        }
        if (!direct && dp != d) {
            java.util.Arrays.fill(work, vh, ch, 0f); // and V's
        }
        for (int head = 0; head < heads; head++) {
            int ho = off + head * d;
            for (int i = 0; i < s; i++) {
                int src = ho + i * h;
                for (int e = 0; e < d; e++) {
                    work[qt + e * sp + i] = q[src + e];
                }
            }
            product(k, ho, h, 1, s, d, work, qt, sp, sp, work, st, sp);
            // Softmax over the keys, down each column of Sᵀ, a strip of a vector's width of
            // columns at a time (a strip of 128 keys is 8 KB: it stays in the first-level cache
            // through the five passes): x·scale + mask[key], minus the column's maximum, exp,
            // divided by the column's sum. Every step is lane-wise (the maximum and the sum need
            // no reduction across lanes, which cost more than the arithmetic for 32 keys); the
            // sum adds the keys in order; padding columns are computed too and ignored. Written
            // here rather than in a helper: a helper was compiled on its own at C1's level and,
            // with the compiler busy with a training graph's methods, stayed there (its vector
            // operations then ran as Java fallbacks) for tens of seconds.
            for (int c = st; c < st + sp; c += LANES) {
                FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
                for (int j = 0, at = c; j < s; j++, at += sp) {
                    FloatVector x = FloatVector.fromArray(SPECIES, work, at).mul(scale).add(mask[maskOff + j]);
                    x.intoArray(work, at);
                    max = max.max(x);
                }
                for (int j = 0, at = c; j < s; j++, at += sp) {
                    FloatVector.fromArray(SPECIES, work, at).sub(max).intoArray(work, at);
                }
                FloatExp.expRows(work, c, s, sp);
                FloatVector sum = FloatVector.zero(SPECIES);
                for (int j = 0, at = c; j < s; j++, at += sp) {
                    sum = sum.add(FloatVector.fromArray(SPECIES, work, at));
                }
                FloatVector inv = FloatVector.broadcast(SPECIES, 1f).div(sum);
                for (int j = 0, at = c; j < s; j++, at += sp) {
                    FloatVector.fromArray(SPECIES, work, at).mul(inv).intoArray(work, at);
                }
            }
            if (direct) {
                product(work, st, 1, sp, s, s, v, ho, h, d, ctx, ctxOff + head * d, h);
            } else {
                for (int j = 0; j < s; j++) {
                    System.arraycopy(v, ho + j * h, work, vh + j * dp, d);
                }
                product(work, st, 1, sp, s, s, work, vh, dp, dp, work, ch, dp);
                for (int i = 0; i < s; i++) {
                    System.arraycopy(work, ch + i * dp, ctx, ctxOff + head * d + i * h, d);
                }
            }
            if (probs != null) {
                int po = probsOff + head * s * s;
                for (int j = 0; j < s; j++) {
                    int row = st + j * sp;
                    for (int i = 0; i < s; i++) {
                        probs[po + i * s + j] = work[row + i];
                    }
                }
            }
        }
    }

    /**
     * The softmax over the keys of one head's transposed scores, in place: {@code s} rows (a key
     * each) {@code sp} floats apart from {@code off}, {@code sp} a whole number of vectors at
     * least {@code s} (a query per column; padding columns are computed and ignored). Per column:
     * x·scale + mask[key], minus the column's maximum, exp, divided by the column's sum: the
     * steps and order of {@link #sequence}'s softmax, lane-wise down a strip of columns.
     * For {@link DnnlAttention}'s scores, whose products ran elsewhere.
     */
    public static void softmaxKeys(float[] x, int off, int s, int sp, float scale, float[] mask, int maskOff) {
        if (s <= 0 || sp < s || sp % LANES != 0 || off < 0 || off + (long) s * sp > x.length || maskOff < 0
                || maskOff + s > mask.length) {
            throw new IllegalArgumentException("AttentionKernel.softmaxKeys: " + s + " keys × " + sp
                    + " columns from " + off + " (mask from " + maskOff + ") do not fit arrays of " + x.length
                    + " / " + mask.length + ", or " + sp + " is not a whole number of " + LANES + "-float vectors");
        }
        // sequence()'s passes (kept in its body there, see the note in it), exp by FloatExp.expRows
        for (int c = off; c < off + sp; c += LANES) {
            FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (int j = 0, at = c; j < s; j++, at += sp) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, at).mul(scale).add(mask[maskOff + j]);
                v.intoArray(x, at);
                max = max.max(v);
            }
            FloatVector sum = FloatVector.zero(SPECIES);
            for (int j = 0, at = c; j < s; j++, at += sp) {
                FloatVector.fromArray(SPECIES, x, at).sub(max).intoArray(x, at);
            }
            FloatExp.expRows(x, c, s, sp);
            for (int j = 0, at = c; j < s; j++, at += sp) {
                sum = sum.add(FloatVector.fromArray(SPECIES, x, at));
            }
            FloatVector inv = FloatVector.broadcast(SPECIES, 1f).div(sum);
            for (int j = 0, at = c; j < s; j++, at += sp) {
                FloatVector.fromArray(SPECIES, x, at).mul(inv).intoArray(x, at);
            }
        }
    }

    /** Floats of work array {@link #sequenceBackward} needs for sequences of {@code s} tokens and heads of size {@code d}. */
    public static int backwardWorkSize(int s, int d) {
        int sp = roundUp(s);
        int dp = roundUp(d);
        return d * sp + 2 * s * sp + 6 * s * dp;
    }

    /**
     * Gradient of {@link #sequence} for one sequence: given Q, K, V, the probabilities P it
     * computed and the context gradient dC, per head
     * <pre>
     *   dP = dC·Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale,
     *   dQ = dS·K,   dK = dSᵀ·Q,   dV = Pᵀ·dC
     * </pre>
     * (the mask is an additive constant: no gradient). The four products are the forward's
     * blocked kernel; only Vᵀ is copied (transposed), dSᵀ and Pᵀ are read down the columns of
     * dS and P, and K, Q, dC and the gradients are read and written in place under the forward's
     * condition for V (else through copies padded to whole vectors). The products sum in the
     * same order as the copies-everywhere kernel before them, so the bits did not change.
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
        boolean direct = d % LANES == 0 && s <= IN_PLACE_MAX_KEYS; // K, Q, dC read and dQ, dK, dV written in place
        int vt = 0;                 // Vᵀ      [d, sp]
        int dP = vt + d * sp;       // dP      [s, sp]
        int dS = dP + s * sp;       // dS      [s, sp]
        int kh = dS + s * sp;       // K_h     [s, dp]   (the packed copies, when not in place)
        int qh = kh + s * dp;       // Q_h     [s, dp]
        int dch = qh + s * dp;      // dC_h    [s, dp]
        int dqh = dch + s * dp;     // dQ_h    [s, dp]
        int dkh = dqh + s * dp;     // dK_h    [s, dp]
        int dvh = dkh + s * dp;     // dV_h    [s, dp]
        if (sp != s) {
            java.util.Arrays.fill(work, vt, dP, 0f); // Vᵀ's padding columns stay zero
        }
        if (!direct && dp != d) {
            java.util.Arrays.fill(work, kh, dqh, 0f); // and the packed rows'
        }
        int bound = SPECIES.loopBound(s);
        for (int head = 0; head < heads; head++) {
            int ho = off + head * d;
            int po = probsOff + head * s * s;
            for (int j = 0; j < s; j++) {
                int src = ho + j * h;
                for (int e = 0; e < d; e++) {
                    work[vt + e * sp + j] = v[src + e];
                }
            }
            product(dCtx, ho, h, 1, s, d, work, vt, sp, sp, work, dP, sp);
            for (int i = 0; i < s; i++) {
                int pr = po + i * s;
                int gr = dP + i * sp;
                int out = dS + i * sp;
                float dot = 0f;
                for (int j = 0; j < s; j++) {
                    dot += probs[pr + j] * work[gr + j];
                }
                int j = 0;
                for (; j < bound; j += LANES) {
                    FloatVector.fromArray(SPECIES, probs, pr + j)
                            .mul(FloatVector.fromArray(SPECIES, work, gr + j).sub(dot)).mul(scale)
                            .intoArray(work, out + j);
                }
                for (; j < s; j++) {
                    work[out + j] = probs[pr + j] * (work[gr + j] - dot) * scale;
                }
            }
            // dQ = dS·K, dK = dSᵀ·Q (dS read down its columns), dV = Pᵀ·dC (P read down its columns)
            if (direct) {
                product(work, dS, sp, 1, s, s, k, ho, h, d, dq, ho, h);
                product(work, dS, 1, sp, s, s, q, ho, h, d, dk, ho, h);
                product(probs, po, 1, s, s, s, dCtx, ho, h, d, dv, ho, h);
            } else {
                for (int j = 0; j < s; j++) {
                    int src = ho + j * h;
                    System.arraycopy(k, src, work, kh + j * dp, d);
                    System.arraycopy(q, src, work, qh + j * dp, d);
                    System.arraycopy(dCtx, src, work, dch + j * dp, d);
                }
                product(work, dS, sp, 1, s, s, work, kh, dp, dp, work, dqh, dp);
                product(work, dS, 1, sp, s, s, work, qh, dp, dp, work, dkh, dp);
                product(probs, po, 1, s, s, s, work, dch, dp, dp, work, dvh, dp);
                for (int i = 0; i < s; i++) {
                    int dst = ho + i * h;
                    System.arraycopy(work, dqh + i * dp, dq, dst, d);
                    System.arraycopy(work, dkh + i * dp, dk, dst, d);
                    System.arraycopy(work, dvh + i * dp, dv, dst, d);
                }
            }
        }
    }

    /**
     * out[i, c] = Σ_k a[i, k]·b[k, c] for i &lt; rows, c &lt; cols (a multiple of the vector
     * width), with a[i, k] at {@code aOff + i·aRow + k·aStep}, b's rows {@code bRow} apart and
     * out's rows {@code outRow} apart: four rows of {@code a} at a time against two vectors of
     * b's columns (eight independent accumulators: two vector loads and four broadcasts feed
     * eight FMAs), then one vector for an odd last one. The sum runs over k in order.
     */
    private static void product(float[] a, int aOff, int aRow, int aStep, int rows, int inner, float[] b, int bOff,
                                int bRow, int cols, float[] out, int outOff, int outRow) {
        for (int i = 0; i < rows; i += ROWS) {
            int a0Row = aOff + i * aRow;
            int a1Row = aOff + Math.min(i + 1, rows - 1) * aRow;
            int a2Row = aOff + Math.min(i + 2, rows - 1) * aRow;
            int a3Row = aOff + Math.min(i + 3, rows - 1) * aRow;
            int valid = Math.min(ROWS, rows - i);
            int o = outOff + i * outRow;
            int c = 0;
            for (; c + 2 * LANES <= cols; c += 2 * LANES) {
                FloatVector x0 = FloatVector.zero(SPECIES), x1 = x0, x2 = x0, x3 = x0;
                FloatVector y0 = x0, y1 = x0, y2 = x0, y3 = x0;
                for (int k = 0, bAt = bOff + c, ak = 0; k < inner; k++, bAt += bRow, ak += aStep) {
                    FloatVector bx = FloatVector.fromArray(SPECIES, b, bAt);
                    FloatVector by = FloatVector.fromArray(SPECIES, b, bAt + LANES);
                    FloatVector s0 = FloatVector.broadcast(SPECIES, a[a0Row + ak]);
                    FloatVector s1 = FloatVector.broadcast(SPECIES, a[a1Row + ak]);
                    FloatVector s2 = FloatVector.broadcast(SPECIES, a[a2Row + ak]);
                    FloatVector s3 = FloatVector.broadcast(SPECIES, a[a3Row + ak]);
                    x0 = bx.fma(s0, x0);
                    y0 = by.fma(s0, y0);
                    x1 = bx.fma(s1, x1);
                    y1 = by.fma(s1, y1);
                    x2 = bx.fma(s2, x2);
                    y2 = by.fma(s2, y2);
                    x3 = bx.fma(s3, x3);
                    y3 = by.fma(s3, y3);
                }
                store(x0, y0, out, o + c);
                if (valid > 1) {
                    store(x1, y1, out, o + outRow + c);
                }
                if (valid > 2) {
                    store(x2, y2, out, o + 2 * outRow + c);
                }
                if (valid > 3) {
                    store(x3, y3, out, o + 3 * outRow + c);
                }
            }
            for (; c < cols; c += LANES) {
                FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0, bAt = bOff + c, ak = 0; k < inner; k++, bAt += bRow, ak += aStep) {
                    FloatVector bv = FloatVector.fromArray(SPECIES, b, bAt);
                    a0 = bv.fma(FloatVector.broadcast(SPECIES, a[a0Row + ak]), a0);
                    a1 = bv.fma(FloatVector.broadcast(SPECIES, a[a1Row + ak]), a1);
                    a2 = bv.fma(FloatVector.broadcast(SPECIES, a[a2Row + ak]), a2);
                    a3 = bv.fma(FloatVector.broadcast(SPECIES, a[a3Row + ak]), a3);
                }
                a0.intoArray(out, o + c);
                if (valid > 1) {
                    a1.intoArray(out, o + outRow + c);
                }
                if (valid > 2) {
                    a2.intoArray(out, o + 2 * outRow + c);
                }
                if (valid > 3) {
                    a3.intoArray(out, o + 3 * outRow + c);
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
