package org.layerfuse.engine.fused;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * c = α·op(a)·op(b) + β·c, as {@code Nd4j.gemm}, without leaving anything for the garbage collector.
 *
 * <p>{@code Nd4j.gemm} in ND4J 1.0.0-M2.1 runs its matmul op through a fresh native op context
 * that it never frees ({@code CpuOpContext.close()} is a no-op): the context and the references
 * it holds to a, b and c live until the Java collector finds the context dead. Each reference
 * is a small native allocation beside the arrays' buffers, so after {@code close()} has freed a
 * buffer its hole stays pinned, later small allocations are carved out of it, and the next
 * buffers of the same size no longer fit: glibc's arena grew by ≈ 240 MB per MiniLM training
 * step without a collection between steps. It also keeps ND4J's use count of the arrays above
 * one, so SameDiff's array cache closes them instead of reusing them.
 *
 * <p>Here each thread keeps one context per transpose and scaling combination and empties it
 * after every product ({@code purge()}: the references are dropped at once). Same op, same
 * library (oneDNN or BLAS, as {@link GemmRoute} sets it), same bits as {@code Nd4j.gemm}
 * (tested). Float32 products on the oneDNN route skip the op and call oneDNN's matmul directly
 * ({@link DnnlMatmul}: ≈ 70 µs a call less), where that gives the op's bits, checked at the
 * first product of each shape. Other backends than the CPU go through {@code Nd4j.gemm}.
 */
public final class Gemm {

    private record Slot(OpContext context, Mmul op) {
    }

    private static final ThreadLocal<Map<String, Slot>> SLOTS = ThreadLocal.withInitial(HashMap::new);

    private Gemm() {
    }

    /**
     * Whether float32 products on the oneDNN route call oneDNN's matmul directly ({@code true},
     * the default: see {@link DnnlMatmul}) or go through ND4J's matmul op; null goes back to
     * {@code -Dlayerfuse.fused.gemm.direct} (benchmarks compare the two in one JVM).
     */
    public static void useDirect(Boolean on) {
        DnnlMatmul.use(on);
    }

    /** {@code c = alpha · op(a) · op(b) + beta · c} into {@code c} (not a view); returns c. */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB,
                                double alpha, double beta) {
        if (c.elementWiseStride() != 1) {
            throw new IllegalArgumentException("gemm output must not be a view, got shape "
                    + java.util.Arrays.toString(c.shape()) + " strides " + java.util.Arrays.toString(c.stride()));
        }
        if (!Nd4j.getEnvironment().isCPU()) {
            return Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        }
        DnnlMatmul.Key direct = Nd4j.getEnvironment().helpersAllowed()
                ? DnnlMatmul.key(a, b, c, transposeA, transposeB, alpha, beta) : null;
        if (direct != null && direct(direct, a, b, null, c, transposeA, transposeB, beta)) {
            return c;
        }
        return throughOp(a, b, c, transposeA, transposeB, alpha, beta);
    }

    /**
     * {@code c = a · b + bias} into {@code c} (not a view), {@code bias} a row of c's width: on
     * the direct oneDNN call the bias is added in the product's own pass over c (oneDNN's matmul
     * bias), elsewhere by ND4J's row-vector add after the op. Both add the same float to the
     * same product, so where the product's bits agree the result's do (checked at the first
     * product of each shape, as for {@link #gemm}); returns c.
     */
    public static INDArray gemmBias(INDArray a, INDArray b, INDArray bias, INDArray c) {
        if (bias.length() != c.columns() || bias.dataType() != c.dataType()) {
            throw new IllegalArgumentException("gemm bias must be a " + c.dataType() + " row of " + c.columns()
                    + " values, got " + bias.dataType() + " " + java.util.Arrays.toString(bias.shape()));
        }
        DnnlMatmul.Key plain = c.elementWiseStride() == 1 && Nd4j.getEnvironment().isCPU()
                && Nd4j.getEnvironment().helpersAllowed() && bias.elementWiseStride() == 1
                ? DnnlMatmul.key(a, b, c, false, false, 1.0, 0.0) : null;
        if (plain != null && direct(plain.withBias(), a, b, bias, c, false, false, 0.0)) {
            return c;
        }
        gemm(a, b, c, false, false, 1.0, 0.0);
        return c.addiRowVector(bias);
    }

    /**
     * The direct call for a product {@link DnnlMatmul#key} accepted (bias null or a row): true when
     * c holds the result (the first product of a shape goes through the op and is compared; a
     * shape known to differ, or one the library refused, returns false for the op to run).
     */
    private static boolean direct(DnnlMatmul.Key key, INDArray a, INDArray b, INDArray bias, INDArray c,
                                  boolean transposeA, boolean transposeB, double beta) {
        int groups = Team.inScope() ? PackedMatrix.rowGroups(key.m(), Team.threads()) : 1;
        if (groups > 1) {
            inGroups(key, groups, a, b, bias, c, transposeA, transposeB, beta);
            return true;
        }
        Boolean same = DnnlMatmul.sameBits(key);
        if (same == null) {
            firstOfShape(key, a, b, bias, c, transposeA, transposeB, beta);
            return true;
        }
        return same && DnnlMatmul.run(key, a, b, bias, c);
    }

    /**
     * Inside a {@link Team}'s scope: the product cut into row groups of op(a) and c, a task each
     * (on the team's threads where the scope leads it; the cut depends on the shape alone). Each
     * group's shape is a product of its own: checked against ND4J's op at its first use (on this
     * thread, through views), then called directly where the bits agree, else through the op.
     */
    private static void inGroups(DnnlMatmul.Key key, int groups, INDArray a, INDArray b, INDArray bias, INDArray c,
                                 boolean transposeA, boolean transposeB, double beta) {
        long m = key.m();
        int omp = Team.ompThreads();
        boolean[] done = new boolean[groups];
        for (int g = 0; g < groups; g++) {
            DnnlMatmul.Key sub = key.withRows(Team.partSize(m, groups, g), omp);
            if (DnnlMatmul.sameBits(sub) == null) { // this group's shape first: checked, its rows computed
                long from = Team.partStart(m, groups, g);
                firstOfShape(sub, opRows(a, transposeA, from, sub.m()), b, bias, opRows(c, false, from, sub.m()),
                        transposeA, transposeB, beta);
                done[g] = true;
            }
        }
        long aAt = DnnlMatmul.address(a);
        long bAt = DnnlMatmul.address(b);
        long biasAt = bias != null ? DnnlMatmul.address(bias) : 0;
        long cAt = DnnlMatmul.address(c);
        Team.run(groups, g -> {
            if (done[g]) {
                return;
            }
            long from = Team.partStart(m, groups, g);
            DnnlMatmul.Key sub = key.withRows(Team.partSize(m, groups, g), omp);
            if (!Boolean.TRUE.equals(DnnlMatmul.sameBits(sub)) || !DnnlMatmul.run(sub,
                    aAt + from * key.as0() * Float.BYTES, bAt, biasAt, cAt + from * key.cs0() * Float.BYTES)) {
                INDArray cg = opRows(c, false, from, sub.m());
                throughOp(opRows(a, transposeA, from, sub.m()), b, cg, transposeA, transposeB, 1.0, beta);
                if (bias != null) {
                    cg.addiRowVector(bias);
                }
            }
        });
        java.lang.ref.Reference.reachabilityFence(a);
        java.lang.ref.Reference.reachabilityFence(b);
        java.lang.ref.Reference.reachabilityFence(bias);
        java.lang.ref.Reference.reachabilityFence(c);
    }

    /** Rows [from, from + count) of op(x): x's rows, or its columns where it is transposed (a view). */
    private static INDArray opRows(INDArray x, boolean transposed, long from, long count) {
        return transposed ? x.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + count))
                : x.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all());
    }

    /**
     * The first product of a shape: ND4J's op into c (then the bias), the direct call into a
     * copy, the bits compared.
     */
    private static INDArray firstOfShape(DnnlMatmul.Key direct, INDArray a, INDArray b, INDArray bias, INDArray c,
                                         boolean transposeA, boolean transposeB, double beta) {
        INDArray before = beta != 0 ? c.dup('c') : null; // c as it was, for a second try with β ≠ 0
        INDArray copy = beta != 0 ? c.dup('c') : Nd4j.create(c.dataType(), c.shape(), 'c');
        throughOp(a, b, c, transposeA, transposeB, 1.0, beta);
        if (bias != null) {
            c.addiRowVector(bias);
        }
        if (DnnlMatmul.run(direct, a, b, bias, copy)) {
            INDArray result = c.dup('c');
            float[] want = result.data().asFloat();
            boolean same = sameBits(want, copy.data().asFloat());
            if (!same) { // the implementation ND4J's helper runs (gemm:jit), where it is not oneDNN's default
                if (beta != 0) {
                    copy.assign(before);
                }
                if (DnnlMatmul.run(direct.withGemmJit(), a, b, bias, copy) && sameBits(want, copy.data().asFloat())) {
                    DnnlMatmul.recordOnGemmJit(direct);
                }
            }
            DnnlMatmul.recordSameBits(direct, same); // no-op where gemm:jit was recorded
            result.close();
        }
        if (before != null) {
            before.close();
        }
        copy.close();
        return c;
    }

    private static boolean sameBits(float[] x, float[] y) {
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                return false;
            }
        }
        return true;
    }

    private static INDArray throughOp(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB,
                                      double alpha, double beta) {
        String key = (transposeA ? "T" : "N") + (transposeB ? "T" : "N") + Double.doubleToLongBits(alpha) + ":"
                + Double.doubleToLongBits(beta);
        Slot slot = SLOTS.get().computeIfAbsent(key, k -> slot(a, b, c, transposeA, transposeB, alpha, beta));
        OpContext context = slot.context();
        context.setInputArray(0, a);
        context.setInputArray(1, b);
        context.setOutputArray(0, c);
        try {
            Nd4j.getExecutioner().exec(slot.op(), context);
        } finally {
            context.purge();
        }
        return c;
    }

    private static Slot slot(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha,
                             double beta) {
        Mmul op = new Mmul(a, b, c, alpha, beta,
                MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build());
        OpContext context = Nd4j.getExecutioner().buildContext();
        context.setIArguments(op.iArgs());
        context.setTArguments(op.tArgs());
        op.clearArrays(); // the op only names the kernel; the arrays go through the context
        return new Slot(context, op);
    }
}
