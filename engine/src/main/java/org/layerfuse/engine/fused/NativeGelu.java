package org.layerfuse.engine.fused;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * y = GELU(x + bias) over rows of floats in native memory (a direct buffer in native order), in
 * one pass: each vector is read once, biased, put through the whole GELU and written once.
 * {@link TransformerKernels#biasGeluErf} and {@link TransformerKernels#biasGeluTanh} do the same
 * arithmetic on heap arrays in several array passes (bias, erf or tanh, product), after a copy
 * out of native memory and before a copy back; here the lanes see the same operations in the
 * same order, so the results are bit for bit theirs (tested), with five fewer passes over the
 * rows. The erf and exp polynomials are {@link FloatErf}'s and {@link FloatExp}'s, written out
 * in the loop body: helpers taking and returning vectors are not reliably inlined (see
 * {@link FloatErf#erf(float[], int, float, float[], int, int)}), so nothing here calls one.
 * Scalar tails use {@link FloatErf#erf(float)} and {@link Math#exp}, as the array kernels' tails do.
 */
public final class NativeGelu {

    private static final jdk.incubator.vector.VectorSpecies<Float> SPECIES = TransformerKernels.SPECIES;
    private static final int LANES = TransformerKernels.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /**
     * Floats per call of a gradient's loop (a multiple of every vector width, so the vector
     * body and scalar tail split {@code n} as one loop would): many short calls get the loop
     * compiled as a whole method, where one long call would run on-stack-replaced code.
     */
    private static final int CHUNK = 4096;

    private NativeGelu() {
    }

    /**
     * Exact form, ½y(1 + erf(y/√2)) with y = src + bias, for {@code rows × cols} floats from
     * float index {@code srcAt} of {@code src} into float index {@code dstAt} of {@code dst}
     * ({@code dst} may be {@code src} at the same index: in place).
     */
    public static void biasGeluErf(ByteBuffer src, int srcAt, ByteBuffer dst, int dstAt, int rows, int cols,
                                   float[] bias) {
        check("biasGeluErf", src, srcAt, dst, dstAt, rows, cols, bias);
        for (int r = 0; r < rows; r++) {
            erfRow(src, 4 * (srcAt + r * cols), dst, 4 * (dstAt + r * cols), cols, bias);
        }
    }

    /** One row of {@link #biasGeluErf} from byte {@code from} into byte {@code to}. */
    private static void erfRow(ByteBuffer src, int from, ByteBuffer dst, int to, int cols, float[] bias) {
        int bound = SPECIES.loopBound(cols);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector y = FloatVector.fromByteBuffer(SPECIES, src, from + 4 * c, ORDER)
                    .add(FloatVector.fromArray(SPECIES, bias, c));
            FloatVector z = y.mul(TransformerKernels.SQRT_HALF).max(-4f).min(4f);
            FloatVector x2 = z.mul(z);
            FloatVector p = x2.fma(FloatErf.A13, FloatErf.A11);
            p = x2.fma(p, FloatVector.broadcast(SPECIES, FloatErf.A9));
            p = x2.fma(p, FloatVector.broadcast(SPECIES, FloatErf.A7));
            p = x2.fma(p, FloatVector.broadcast(SPECIES, FloatErf.A5));
            p = x2.fma(p, FloatVector.broadcast(SPECIES, FloatErf.A3));
            p = x2.fma(p, FloatVector.broadcast(SPECIES, FloatErf.A1));
            FloatVector q = x2.fma(FloatErf.B8, FloatErf.B6);
            q = x2.fma(q, FloatVector.broadcast(SPECIES, FloatErf.B4));
            q = x2.fma(q, FloatVector.broadcast(SPECIES, FloatErf.B2));
            q = x2.fma(q, FloatVector.broadcast(SPECIES, FloatErf.B0));
            FloatVector erf = z.mul(p).lanewise(VectorOperators.DIV, q);
            erf.add(1f).mul(y).mul(0.5f).intoByteBuffer(dst, to + 4 * c, ORDER);
        }
        for (; c < cols; c++) {
            float y = src.getFloat(from + 4 * c) + bias[c];
            float e = FloatErf.erf(y * TransformerKernels.SQRT_HALF);
            dst.putFloat(to + 4 * c, (e + 1f) * y * 0.5f);
        }
    }

    /**
     * Tanh form, ½y(1 + tanh(√(2/π)(y + 0.044715y³))) with y = src + bias, tanh(u) computed as
     * 1 − 2/(e^{2u} + 1) ({@link FloatExp#tanh}); arguments as {@link #biasGeluErf}.
     */
    public static void biasGeluTanh(ByteBuffer src, int srcAt, ByteBuffer dst, int dstAt, int rows, int cols,
                                    float[] bias) {
        check("biasGeluTanh", src, srcAt, dst, dstAt, rows, cols, bias);
        for (int r = 0; r < rows; r++) {
            tanhRow(src, 4 * (srcAt + r * cols), dst, 4 * (dstAt + r * cols), cols, bias);
        }
    }

    /** One row of {@link #biasGeluTanh} from byte {@code from} into byte {@code to}. */
    private static void tanhRow(ByteBuffer src, int from, ByteBuffer dst, int to, int cols, float[] bias) {
        int bound = SPECIES.loopBound(cols);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector two = FloatVector.broadcast(SPECIES, 2f);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector y = FloatVector.fromByteBuffer(SPECIES, src, from + 4 * c, ORDER)
                    .add(FloatVector.fromArray(SPECIES, bias, c));
            FloatVector u = y.add(y.mul(y).mul(y).mul(TransformerKernels.GELU_CUBIC))
                    .mul(TransformerKernels.SQRT_2_OVER_PI);
            FloatVector x = u.add(u); // e^{2u}, as FloatExp.exp
            VectorMask<Float> underflow = x.lt(FloatExp.MIN_ARG);
            FloatVector cl = x.max(FloatExp.MIN_ARG).min(FloatExp.MAX_ARG);
            FloatVector t = cl.fma(FloatExp.LOG2E, FloatExp.ROUNDER);
            FloatVector k = t.sub(FloatExp.ROUNDER);
            FloatVector rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_HI), cl);
            rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_LO), rr);
            FloatVector p = rr.fma(1f / 5040f, 1f / 720f);
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 120f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 24f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 6f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 0.5f));
            p = rr.fma(p, one);
            p = rr.fma(p, one);
            IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(FloatExp.ROUNDER_BITS).add(127)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul((FloatVector) bits.reinterpretAsFloats()).blend(0f, underflow);
            FloatVector tanh = one.sub(two.div(e.add(1f)));
            tanh.add(1f).mul(y).mul(0.5f).intoByteBuffer(dst, to + 4 * c, ORDER);
        }
        for (; c < cols; c++) {
            float y = src.getFloat(from + 4 * c) + bias[c];
            float u = (y + y * y * y * TransformerKernels.GELU_CUBIC) * TransformerKernels.SQRT_2_OVER_PI;
            float e = (float) Math.exp(u + u);
            float tanh = 1f - 2f / (e + 1f);
            dst.putFloat(to + 4 * c, (tanh + 1f) * y * 0.5f);
        }
    }

    /**
     * y = GELU(x + bias) and d = GELU'(x + bias), exact form, for {@code rows × cols} floats, so
     * that the gradient later is one product d·dy ({@link #multiply}) instead of an erf, an exp
     * and a product, and x + bias is never an array. y has the bits of {@link #biasGeluErf} and
     * d those of {@link #erfDerivative} over x + bias formed as a float addition (tested). When
     * {@code cols} is a multiple of the vector width no float takes a scalar tail in either, and
     * one pass per row shares the erf between y and d; otherwise it is those two kernels' passes,
     * x + bias written into d first and its derivative taken there in place.
     */
    public static void erfWithDerivative(ByteBuffer x, int xAt, ByteBuffer y, int yAt, ByteBuffer d, int dAt, int rows,
                                         int cols, float[] bias) {
        int n = Math.multiplyExact(rows, cols);
        checkBackward("erfWithDerivative", x, xAt, y, yAt, d, dAt, n);
        if (bias.length < cols) {
            throw new IllegalArgumentException("NativeGelu.erfWithDerivative: the bias needs " + cols + " values, got "
                    + bias.length);
        }
        if (cols % LANES != 0) {
            biasGeluErf(x, xAt, y, yAt, rows, cols, bias);
            NativeRows.biasAdd(x, xAt, d, dAt, rows, cols, bias);
            erfDerivative(d, dAt, d, dAt, n);
            return;
        }
        for (int r = 0; r < rows; r++) {
            erfWithDerivativeRow(x, 4 * (xAt + r * cols), y, 4 * (yAt + r * cols), d, 4 * (dAt + r * cols), cols, bias);
        }
    }

    /** One row (a multiple of the vector width) of {@link #erfWithDerivative}, each buffer from the given byte. */
    private static void erfWithDerivativeRow(ByteBuffer x, int xAt, ByteBuffer y, int yAt, ByteBuffer d, int dAt,
                                             int cols, float[] bias) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        for (int i = 0; i < cols; i += LANES) {
            // the forward's argument x + bias, which the derivative takes too
            FloatVector v = FloatVector.fromByteBuffer(SPECIES, x, xAt + 4 * i, ORDER)
                    .add(FloatVector.fromArray(SPECIES, bias, i));
            FloatVector z = v.mul(TransformerKernels.SQRT_HALF).max(-4f).min(4f);
            FloatVector x2 = z.mul(z);
            FloatVector a = x2.fma(FloatErf.A13, FloatErf.A11);
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A9));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A7));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A5));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A3));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A1));
            FloatVector b = x2.fma(FloatErf.B8, FloatErf.B6);
            b = x2.fma(b, FloatVector.broadcast(SPECIES, FloatErf.B4));
            b = x2.fma(b, FloatVector.broadcast(SPECIES, FloatErf.B2));
            b = x2.fma(b, FloatVector.broadcast(SPECIES, FloatErf.B0));
            FloatVector erfPlusOne = z.mul(a).lanewise(VectorOperators.DIV, b).add(1f);
            erfPlusOne.mul(v).mul(0.5f).intoByteBuffer(y, yAt + 4 * i, ORDER);
            FloatVector dd = v.mul(v).mul(-0.5f);
            VectorMask<Float> underflow = dd.lt(FloatExp.MIN_ARG);
            FloatVector cl = dd.max(FloatExp.MIN_ARG).min(FloatExp.MAX_ARG);
            FloatVector t = cl.fma(FloatExp.LOG2E, FloatExp.ROUNDER);
            FloatVector k = t.sub(FloatExp.ROUNDER);
            FloatVector rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_HI), cl);
            rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_LO), rr);
            FloatVector p = rr.fma(1f / 5040f, 1f / 720f);
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 120f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 24f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 6f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 0.5f));
            p = rr.fma(p, one);
            p = rr.fma(p, one);
            IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(FloatExp.ROUNDER_BITS).add(127)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector density = p.mul((FloatVector) bits.reinterpretAsFloats()).blend(0f, underflow)
                    .mul(BackwardKernels.INV_SQRT_2PI);
            v.fma(density, erfPlusOne.mul(0.5f)).intoByteBuffer(d, dAt + 4 * i, ORDER);
        }
    }

    /**
     * d = GELU'(x), exact form: the density φ(x) = e^{−x²/2}/√(2π), Φ(x) = ½(1 + erf(x/√2)), then
     * x·φ + Φ, so that d·dy ({@link #multiply}) has the bits of {@link BackwardKernels#geluErf}
     * over the same {@code n} values (tested).
     */
    public static void erfDerivative(ByteBuffer x, int xAt, ByteBuffer d, int dAt, int n) {
        checkBackward("erfDerivative", x, xAt, x, xAt, d, dAt, n);
        for (int i = 0; i < n; i += CHUNK) {
            erfDerivativeChunk(x, 4 * (xAt + i), d, 4 * (dAt + i), Math.min(CHUNK, n - i));
        }
    }

    private static void erfDerivativeChunk(ByteBuffer x, int xAt, ByteBuffer d, int dAt, int n) {
        int bound = SPECIES.loopBound(n);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(SPECIES, x, xAt + 4 * i, ORDER);
            FloatVector dd = v.mul(v).mul(-0.5f);
            VectorMask<Float> underflow = dd.lt(FloatExp.MIN_ARG);
            FloatVector cl = dd.max(FloatExp.MIN_ARG).min(FloatExp.MAX_ARG);
            FloatVector t = cl.fma(FloatExp.LOG2E, FloatExp.ROUNDER);
            FloatVector k = t.sub(FloatExp.ROUNDER);
            FloatVector rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_HI), cl);
            rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_LO), rr);
            FloatVector p = rr.fma(1f / 5040f, 1f / 720f);
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 120f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 24f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 6f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 0.5f));
            p = rr.fma(p, one);
            p = rr.fma(p, one);
            IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(FloatExp.ROUNDER_BITS).add(127)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector density = p.mul((FloatVector) bits.reinterpretAsFloats()).blend(0f, underflow)
                    .mul(BackwardKernels.INV_SQRT_2PI);
            FloatVector z = v.mul(TransformerKernels.SQRT_HALF).max(-4f).min(4f);
            FloatVector x2 = z.mul(z);
            FloatVector a = x2.fma(FloatErf.A13, FloatErf.A11);
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A9));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A7));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A5));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A3));
            a = x2.fma(a, FloatVector.broadcast(SPECIES, FloatErf.A1));
            FloatVector b = x2.fma(FloatErf.B8, FloatErf.B6);
            b = x2.fma(b, FloatVector.broadcast(SPECIES, FloatErf.B4));
            b = x2.fma(b, FloatVector.broadcast(SPECIES, FloatErf.B2));
            b = x2.fma(b, FloatVector.broadcast(SPECIES, FloatErf.B0));
            FloatVector cdf = z.mul(a).lanewise(VectorOperators.DIV, b).add(1f).mul(0.5f);
            v.fma(density, cdf).intoByteBuffer(d, dAt + 4 * i, ORDER);
        }
        for (; i < n; i++) {
            float v = x.getFloat(xAt + 4 * i);
            float density = (float) Math.exp(-0.5f * v * v) * BackwardKernels.INV_SQRT_2PI;
            float cdf = (FloatErf.erf(v * TransformerKernels.SQRT_HALF) + 1f) * 0.5f;
            d.putFloat(dAt + 4 * i, Math.fma(v, density, cdf));
        }
    }

    /**
     * d = GELU'(x), tanh form: with u = √(2/π)(x + 0.044715x³) and t = tanh u,
     * ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), so that d·dy has the bits of
     * {@link BackwardKernels#geluTanh} over the same {@code n} values (tested).
     */
    public static void tanhDerivative(ByteBuffer x, int xAt, ByteBuffer d, int dAt, int n) {
        checkBackward("tanhDerivative", x, xAt, x, xAt, d, dAt, n);
        for (int i = 0; i < n; i += CHUNK) {
            tanhDerivativeChunk(x, 4 * (xAt + i), d, 4 * (dAt + i), Math.min(CHUNK, n - i));
        }
    }

    private static void tanhDerivativeChunk(ByteBuffer x, int xAt, ByteBuffer d, int dAt, int n) {
        int bound = SPECIES.loopBound(n);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector two = FloatVector.broadcast(SPECIES, 2f);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(SPECIES, x, xAt + 4 * i, ORDER);
            FloatVector u = v.mul(v).mul(TransformerKernels.GELU_CUBIC).add(1f).mul(v)
                    .mul(TransformerKernels.SQRT_2_OVER_PI);
            FloatVector e2 = u.add(u);
            VectorMask<Float> underflow = e2.lt(FloatExp.MIN_ARG);
            FloatVector cl = e2.max(FloatExp.MIN_ARG).min(FloatExp.MAX_ARG);
            FloatVector t = cl.fma(FloatExp.LOG2E, FloatExp.ROUNDER);
            FloatVector k = t.sub(FloatExp.ROUNDER);
            FloatVector rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_HI), cl);
            rr = k.fma(FloatVector.broadcast(SPECIES, -FloatExp.LN2_LO), rr);
            FloatVector p = rr.fma(1f / 5040f, 1f / 720f);
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 120f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 24f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 1f / 6f));
            p = rr.fma(p, FloatVector.broadcast(SPECIES, 0.5f));
            p = rr.fma(p, one);
            p = rr.fma(p, one);
            IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(FloatExp.ROUNDER_BITS).add(127)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul((FloatVector) bits.reinterpretAsFloats()).blend(0f, underflow);
            FloatVector tanh = one.sub(two.div(e.add(1f)));
            FloatVector du = v.mul(v).mul(3 * TransformerKernels.GELU_CUBIC).add(1f)
                    .mul(TransformerKernels.SQRT_2_OVER_PI);
            FloatVector sech2 = tanh.mul(tanh).neg().add(1f);
            tanh.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(du)).intoByteBuffer(d, dAt + 4 * i, ORDER);
        }
        for (; i < n; i++) {
            float v = x.getFloat(xAt + 4 * i);
            float u = (1f + v * v * TransformerKernels.GELU_CUBIC) * v * TransformerKernels.SQRT_2_OVER_PI;
            float e = (float) Math.exp(u + u);
            float tanh = 1f - 2f / (e + 1f);
            float du = (1f + 3 * TransformerKernels.GELU_CUBIC * v * v) * TransformerKernels.SQRT_2_OVER_PI;
            d.putFloat(dAt + 4 * i, 0.5f * (1f + tanh) + 0.5f * v * (1f - tanh * tanh) * du);
        }
    }

    /** out = a·b element by element over {@code n} floats (the gradient d·dy; out may be a or b). */
    public static void multiply(ByteBuffer a, int aAt, ByteBuffer b, int bAt, ByteBuffer out, int outAt, int n) {
        checkBackward("multiply", a, aAt, b, bAt, out, outAt, n);
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromByteBuffer(SPECIES, a, 4 * (aAt + i), ORDER)
                    .mul(FloatVector.fromByteBuffer(SPECIES, b, 4 * (bAt + i), ORDER))
                    .intoByteBuffer(out, 4 * (outAt + i), ORDER);
        }
        for (; i < n; i++) {
            out.putFloat(4 * (outAt + i), a.getFloat(4 * (aAt + i)) * b.getFloat(4 * (bAt + i)));
        }
    }

    private static void checkBackward(String what, ByteBuffer x, int xAt, ByteBuffer dy, int dyAt, ByteBuffer dx,
                                      int dxAt, int n) {
        if (n < 0 || xAt < 0 || dyAt < 0 || dxAt < 0 || (xAt + (long) n) * Float.BYTES > x.limit()
                || (dyAt + (long) n) * Float.BYTES > dy.limit() || (dxAt + (long) n) * Float.BYTES > dx.limit()) {
            throw new IllegalArgumentException("NativeGelu." + what + ": " + n + " floats from " + xAt + " / " + dyAt
                    + " / " + dxAt + " do not fit buffers of " + x.limit() + " / " + dy.limit() + " / " + dx.limit()
                    + " bytes");
        }
        if (x.order() != ORDER || dy.order() != ORDER || dx.order() != ORDER) {
            throw new IllegalArgumentException("NativeGelu." + what + ": buffers must be in native byte order");
        }
    }

    private static void check(String what, ByteBuffer src, int srcAt, ByteBuffer dst, int dstAt, int rows, int cols,
                              float[] bias) {
        long n = (long) rows * cols;
        if (rows < 0 || cols < 0 || srcAt < 0 || dstAt < 0 || bias.length < cols
                || (srcAt + n) * Float.BYTES > src.limit() || (dstAt + n) * Float.BYTES > dst.limit()) {
            throw new IllegalArgumentException("NativeGelu." + what + ": " + rows + " × " + cols + " floats from "
                    + srcAt + " / " + dstAt + " with a bias of " + bias.length + " do not fit buffers of "
                    + src.limit() + " / " + dst.limit() + " bytes");
        }
        if (src.order() != ORDER || dst.order() != ORDER) {
            throw new IllegalArgumentException("NativeGelu." + what + ": buffers must be in native byte order");
        }
    }
}
