package org.layerfuse.engine.fused;

import java.util.Map;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.global.dnnl;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A float32 weight matrix {@code w} ({@code [k, n]}, row-major) reordered once into the blocked
 * layout of oneDNN's 1×1-convolution kernels, for products {@code c = x·w (+ bias)} on weights
 * that do not change (inference): what ONNX Runtime does with a session's constant weights (MLAS
 * prepacks them when the session is made).
 *
 * <p>How: {@code x} ({@code [rows, k]}, row-major) is a 1×1 convolution's input in NHWC layout
 * (one image, {@code rows} pixels, {@code k} channels) and {@code c} its output ({@code n}
 * channels); the weights are reordered into the layout oneDNN's kernel chose ({@code format_tag::any})
 * once, at {@link #pack}. A product runs that convolution ({@code jit_1x1:avx2} on AVX2,
 * {@code brgconv_1x1:avx512_core} on an Intel AVX-512 Xeon), its primitive made once per row count and bias
 * use on each thread and kept ({@value #SHAPES_KEPT} a thread, oneDNN's own primitive cache
 * behind them). The bias is added in the kernel's pass over {@code c}. Where oneDNN would run
 * another convolution (GEMM-based, reference: slower than the matmul), or wants the weights in
 * another layout for that row count (brgconv_1x1 below 70 rows where the channels are no multiple
 * of 16; BERT-family shapes run at every row count), the product is refused and the caller runs
 * the matmul ({@link #kernelAccepted}).
 *
 * <p>Why: the matmul primitive ({@code gemm:jit}) copies the whole weight matrix into its kernel's
 * layout at every call, and its small-row kernels are slow. The 36 products of a MiniLM forward on
 * the AVX2 Zen 3 (2 threads, medians of 30, the two alternated): 1 row 2.6 against 4.0 ms, 8 rows
 * 2.7 against 4.3, 16 rows 3.4 against 4.2, 32 rows 5.1 against 5.8, 64 rows 8.6 against 9.5, 256
 * rows 29.4 against 35.6, 1024 rows 128.0 against 139.4 (best 114.0 against 121.2); two BERT-base
 * layers 16 rows 4.9 against 7.0 ms, 128 rows 23.5 against 38.2, 1024 rows 169.1 against 180.6.
 * So every row count uses it.
 *
 * <p>Results are the matmul's within float32 rounding (the kernels sum in another order: ≤ 1e-6
 * of the sum of |terms|, which {@code PackedMatrixTest} bounds against a float64 loop). The pack is
 * a snapshot: a write to {@code w} after {@link #pack} is not seen by it.
 */
public final class PackedMatrix implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PackedMatrix.class);

    /**
     * An element-wise function applied to {@code x·w + bias} in the kernel's own pass over
     * {@code c} (oneDNN's eltwise post-op): the FFN's activation without a pass of its own.
     */
    public enum Activation {
        /** c = x·w + bias. */
        NONE(null),
        /** GELU, exact: ½v(1 + erf(v/√2)) (oneDNN's {@code eltwise_gelu_erf}). */
        GELU_ERF(dnnl.algorithm.eltwise_gelu_erf),
        /** GELU, tanh form (oneDNN's {@code eltwise_gelu_tanh}). */
        GELU_TANH(dnnl.algorithm.eltwise_gelu_tanh),
        /** max(0, v). */
        RELU(dnnl.algorithm.eltwise_relu);

        private final dnnl.algorithm algorithm;

        Activation(dnnl.algorithm algorithm) {
            this.algorithm = algorithm;
        }
    }

    /** The row count whose primitive chooses the weights' layout at {@link #pack}. */
    static final long LAID_OUT_FOR_ROWS = 1024;

    /** Primitives a thread keeps (one per row count, bias use and matrix shape). */
    static final int SHAPES_KEPT = 256;

    private static final ThreadLocal<Map<Key, Entry>> ENTRIES =
            ThreadLocal.withInitial(() -> new LruCache<>(SHAPES_KEPT, Entry::close));

    private final long k;
    private final long n;
    private final long bytes;
    private final memory.desc layout;
    private volatile memory weights;

    private PackedMatrix(long k, long n, memory.desc layout, memory weights) {
        this.k = k;
        this.n = n;
        this.layout = layout;
        this.weights = weights;
        this.bytes = layout.get_size();
    }

    /** Whether products can run on packed weights here (the CPU backend, oneDNN's library loaded). */
    public static boolean available() {
        return Nd4j.getEnvironment().isCPU() && DnnlMatmul.ready();
    }

    /**
     * {@code w} ({@code [k, n]} float32, row-major and contiguous) reordered for the convolution
     * kernels; null where that cannot be done here (not float32, not contiguous, not on the CPU,
     * oneDNN not loaded, or only a reference kernel for this shape: then products stay on the matmul).
     */
    public static PackedMatrix pack(INDArray w) {
        if (w.dataType() != DataType.FLOAT || w.rank() != 2 || w.ordering() != 'c' || w.elementWiseStride() != 1
                || !available()) {
            return null;
        }
        long k = w.rows();
        long n = w.columns();
        try {
            engine cpu = DnnlMatmul.cpu();
            convolution_forward.primitive_desc pd = primitiveDesc(k, n, LAID_OUT_FOR_ROWS, false, Activation.NONE);
            String impl = pd.impl_info_str().getString();
            if (!kernelAccepted(impl)) {
                LOG.info("oneDNN's convolution for [" + k + "," + n + "] is " + impl
                        + ", not a JIT 1×1 kernel: products with it stay on the matmul");
                pd.close();
                return null;
            }
            memory.desc layout = pd.weights_desc();
            memory.desc user = new memory.desc(new long[] {n, k, 1, 1}, memory.data_type.f32,
                    new long[] {1, n, 1, 1}); // OIHW over the row-major [k, n]: o at stride 1, i at n
            memory from = new memory(user, cpu, new DnnlMatmul.Address().at(DnnlMatmul.address(w)));
            memory to = new memory(layout, cpu); // oneDNN allocates (and frees at close)
            try (reorder r = new reorder(from, to)) {
                r.execute(DnnlMatmul.stream(), from, to);
                DnnlMatmul.stream()._wait();
            }
            java.lang.ref.Reference.reachabilityFence(w);
            from.close();
            user.close();
            pd.close();
            return new PackedMatrix(k, n, layout, to);
        } catch (RuntimeException e) {
            LOG.info("oneDNN could not reorder [" + k + "," + n + "] for its convolution (" + e.getMessage()
                    + "): products with it stay on the matmul");
            return null;
        }
    }

    /**
     * Whether oneDNN's implementation of a product's convolution is one of its JIT 1×1 kernels
     * ({@code jit_1x1:avx2}, {@code jit_1x1:avx512_core}, {@code brgconv_1x1:…}): its reference or
     * GEMM-based convolutions would be slower than the matmul, so those products stay on it.
     */
    static boolean kernelAccepted(String impl) {
        return impl != null && impl.contains("1x1") && !impl.startsWith("ref") && !impl.contains("gemm");
    }

    private static convolution_forward.primitive_desc primitiveDesc(long k, long n, long rows, boolean bias,
                                                                    Activation activation) {
        memory.desc src = new memory.desc(new long[] {1, k, rows, 1}, memory.data_type.f32, memory.format_tag.nhwc);
        memory.desc wts = new memory.desc(new long[] {n, k, 1, 1}, memory.data_type.f32, memory.format_tag.any);
        memory.desc dst = new memory.desc(new long[] {1, n, rows, 1}, memory.data_type.f32, memory.format_tag.nhwc);
        long[] one = {1, 1};
        long[] none = {0, 0};
        convolution_forward.desc d = bias
                ? new convolution_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct,
                        src, wts, new memory.desc(new long[] {n}, memory.data_type.f32, memory.format_tag.x), dst, one,
                        none, none)
                : new convolution_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct,
                        src, wts, dst, one, none, none);
        if (activation == Activation.NONE) {
            return new convolution_forward.primitive_desc(d, DnnlMatmul.cpu());
        }
        post_ops post = new post_ops();
        post.append_eltwise(1f, activation.algorithm, 0f, 0f);
        primitive_attr attr = new primitive_attr();
        attr.set_post_ops(post);
        return new convolution_forward.primitive_desc(d, attr, DnnlMatmul.cpu());
    }

    /** The packed matrix's rows (the product's inner dimension). */
    public long rows() {
        return k;
    }

    /** The packed matrix's columns (the product's output width). */
    public long columns() {
        return n;
    }

    /** The bytes this pack holds (native, oneDNN's), 0 once closed. */
    public long bytes() {
        return weights == null ? 0 : bytes;
    }

    /**
     * {@code c = x·w + bias} ({@code bias} a dense float32 row of {@code n}, or null): {@code x} a
     * contiguous row-major {@code [rows, k]}, {@code c} a contiguous row-major {@code [rows, n]},
     * both float32. False, c untouched, where this pack cannot run it (closed, shapes or layouts
     * not these, a primitive whose weights' layout is not the pack's): run the matmul then.
     */
    public boolean gemm(INDArray x, INDArray bias, INDArray c) {
        return gemm(x, bias, c, Activation.NONE);
    }

    /**
     * {@code c = activation(x·w + bias)}, the activation in the kernel's pass over {@code c}
     * (otherwise as {@link #gemm(INDArray, INDArray, INDArray)}); false, c untouched, where this
     * pack cannot run it.
     */
    public boolean gemm(INDArray x, INDArray bias, INDArray c, Activation activation) {
        memory w = weights;
        if (w == null || !dense(x, k) || !dense(c, n) || x.rows() != c.rows() || x.rows() < 1
                || (bias != null && (bias.dataType() != DataType.FLOAT || bias.length() != n
                        || bias.elementWiseStride() != 1))) {
            return false;
        }
        Key key = new Key(k, n, x.rows(), bias != null, activation);
        Map<Key, Entry> entries = ENTRIES.get();
        Entry e = entries.computeIfAbsent(key, Entry::of);
        if (!e.accepted || dnnl.dnnl_memory_desc_equal(e.layout.data(), layout.data()) == 0) {
            return false; // not a JIT 1×1 kernel for this row count, or it wants the weights in another layout
        }
        IntMemoryMap args = e.bound.bind(DnnlMatmul.address(x), w.get_data_handle().address(),
                DnnlMatmul.address(c), bias != null ? DnnlMatmul.address(bias) : 0);
        e.primitive.execute(DnnlMatmul.stream(), args);
        java.lang.ref.Reference.reachabilityFence(x);
        java.lang.ref.Reference.reachabilityFence(c);
        java.lang.ref.Reference.reachabilityFence(bias);
        java.lang.ref.Reference.reachabilityFence(this);
        return true;
    }

    /**
     * Frees the pack; later products with it are refused. Not while a product with it runs on
     * another thread (its owner closes it when no forward uses it).
     */
    @Override
    public synchronized void close() {
        memory w = weights;
        weights = null;
        if (w != null) {
            w.close();
        }
    }

    private static boolean dense(INDArray a, long cols) {
        return a.dataType() == DataType.FLOAT && a.rank() == 2 && a.columns() == cols && a.ordering() == 'c'
                && a.elementWiseStride() == 1 && (a.rows() == 1 || a.stride(0) == cols); // [1, n]: ND4J says stride 1
    }

    /** A product's shape: {@code [rows, k]·[k, n]}, with or without a bias, and what follows in its pass. */
    record Key(long k, long n, long rows, boolean bias, Activation activation) {
    }

    /** A thread's primitive for one {@link Key}, with memory objects pointed at the arrays each call. */
    private static final class Entry {
        final convolution_forward primitive;
        final boolean accepted;
        final memory.desc layout;
        final ProductMemory bound;

        /** A shape oneDNN refused: kept too, so that its products go to the matmul without asking again. */
        private static final Entry REFUSED = new Entry();

        private Entry() {
            primitive = null;
            accepted = false;
            layout = null;
            bound = null;
        }

        private Entry(convolution_forward.primitive_desc pd, boolean bias) {
            primitive = new convolution_forward(pd);
            accepted = kernelAccepted(pd.impl_info_str().getString());
            layout = pd.weights_desc();
            bound = new ProductMemory(DnnlMatmul.cpu(), pd.src_desc(), layout, pd.dst_desc(),
                    bias ? pd.bias_desc() : null);
        }

        /** This thread's primitive for {@code key}, or {@link #REFUSED} where oneDNN has none (logged). */
        static Entry of(Key key) {
            try {
                return new Entry(primitiveDesc(key.k(), key.n(), key.rows(), key.bias(), key.activation()), key.bias());
            } catch (RuntimeException failed) {
                LOG.info("oneDNN's convolution refused " + key + " (" + failed.getMessage() + "): the matmul runs it");
                return REFUSED;
            }
        }

        void close() {
            if (this != REFUSED) {
                bound.close();
                primitive.close();
            }
        }
    }
}
