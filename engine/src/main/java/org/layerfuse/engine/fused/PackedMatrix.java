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

    /**
     * Most rows a product has for its columns to be split over a {@link Team} (each thread one
     * column block, into a buffer of its own, then copied into place); above it the rows are.
     * Products are split inside a team's scope only ({@link Team#inScope}); elsewhere one call.
     */
    static final long COLUMN_SPLIT_MAX_ROWS = Long.getLong("layerfuse.fused.packed.columnSplitRows", 256);
    /** Narrowest column block (a multiple of 16 floats). */
    static final long MIN_BLOCK_COLUMNS = 64;
    /** Fewest rows of a row group. */
    static final long MIN_GROUP_ROWS = 16;

    private static final ThreadLocal<INDArray[]> BLOCK_OUT = ThreadLocal.withInitial(() -> new INDArray[1]);

    private final long k;
    private final long n;
    private final long bytes;
    private final memory.desc layout;
    /** Column blocks that are byte ranges of the pack (checked at {@link #pack}), 1 where none are. */
    private final int blocks;
    /** The layout of one column block ({@code n / blocks} columns), null with one block. */
    private final memory.desc blockLayout;
    private volatile memory weights;

    private PackedMatrix(long k, long n, memory.desc layout, memory weights, int blocks, memory.desc blockLayout) {
        this.k = k;
        this.n = n;
        this.layout = layout;
        this.weights = weights;
        this.bytes = layout.get_size();
        this.blocks = blocks;
        this.blockLayout = blockLayout;
    }

    /**
     * Column blocks of an {@code n}-column matrix for {@code threads}: as many as the threads, each
     * at least {@value #MIN_BLOCK_COLUMNS} columns and all of one width that is a multiple of 16 (1:
     * no split).
     */
    static int columnBlocks(long n, int threads) {
        for (int b = (int) Math.min(threads, n / MIN_BLOCK_COLUMNS); b > 1; b--) {
            if (n % (16L * b) == 0) {
                return b;
            }
        }
        return 1;
    }

    /** Row groups of a {@code rows}-row product for {@code threads}: each at least {@value #MIN_GROUP_ROWS} rows. */
    static int rowGroups(long rows, int threads) {
        return (int) Math.max(1, Math.min(threads, rows / MIN_GROUP_ROWS));
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
            from.close();
            user.close();
            pd.close();
            int blocks = columnBlocks(n, Team.threads());
            memory.desc blockLayout = blocks > 1 ? blockLayout(w, blocks, to) : null;
            java.lang.ref.Reference.reachabilityFence(w);
            return new PackedMatrix(k, n, layout, to, blockLayout != null ? blocks : 1, blockLayout);
        } catch (RuntimeException e) {
            LOG.info("oneDNN could not reorder [" + k + "," + n + "] for its convolution (" + e.getMessage()
                    + "): products with it stay on the matmul");
            return null;
        }
    }

    /**
     * The layout of one of {@code blocks} column blocks of {@code w} where each block's own pack is
     * a byte range of {@code full} (the kernels' layouts put output channels outermost: checked here
     * by packing each block alone and comparing the bytes), else null: the columns are not split.
     */
    private static memory.desc blockLayout(INDArray w, int blocks, memory full) {
        long k = w.rows();
        long n = w.columns();
        long width = n / blocks;
        engine cpu = DnnlMatmul.cpu();
        try (convolution_forward.primitive_desc pd = primitiveDesc(k, width, LAID_OUT_FOR_ROWS, false,
                Activation.NONE)) {
            if (!kernelAccepted(pd.impl_info_str().getString())) {
                return null;
            }
            memory.desc layout = pd.weights_desc();
            long size = layout.get_size();
            if (size * blocks != full.get_desc().get_size()) {
                return null;
            }
            java.nio.ByteBuffer packed = full.get_data_handle().capacity(size * blocks).asByteBuffer();
            for (int b = 0; b < blocks; b++) {
                try (memory.desc user = new memory.desc(new long[] {width, k, 1, 1}, memory.data_type.f32,
                        new long[] {1, n, 1, 1});
                     memory from = new memory(user, cpu,
                             new DnnlMatmul.Address().at(DnnlMatmul.address(w) + b * width * Float.BYTES));
                     memory to = new memory(layout, cpu);
                     reorder r = new reorder(from, to)) {
                    r.execute(DnnlMatmul.stream(), from, to);
                    DnnlMatmul.stream()._wait();
                    java.nio.ByteBuffer own = to.get_data_handle().capacity(size).asByteBuffer();
                    if (!own.equals(packed.duplicate().position((int) (b * size)).limit((int) ((b + 1) * size)))) {
                        return null;
                    }
                }
            }
            return layout;
        } catch (RuntimeException e) { // no such primitive or layout here: the columns are not split
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

    /** Column blocks a product of few rows is split into over a {@link Team} (1: not split). */
    public int blocks() {
        return blocks;
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
        long rows = x.rows();
        int threads = Team.threads();
        boolean withBias = bias != null;
        // cut for the team inside a team's scope (the forward's), by the shape and the team's size
        // alone, never by whether this scope leads it: the same primitives run either way
        boolean split = Team.inScope();
        int omp = Team.ompThreads();
        Map<Key, Entry> entries = ENTRIES.get();
        // the plan: column blocks for few rows, else row groups, else one call; each only where
        // every primitive it needs is a JIT 1×1 kernel reading the pack's layout
        int columns = split && blocks > 1 && rows <= COLUMN_SPLIT_MAX_ROWS
                && accepted(entries, new Key(k, n / blocks, rows, withBias, activation, omp), blockLayout) ? blocks : 1;
        int groups = columns == 1 && split ? rowGroups(rows, threads) : 1;
        if (groups > 1 && !groupsAccepted(entries, rows, groups, withBias, activation, omp)) {
            groups = 1;
        }
        if (columns == 1 && groups == 1 && !groupsAccepted(entries, rows, 1, withBias, activation, omp)) {
            return false; // not a JIT 1×1 kernel for this row count, or it wants the weights in another layout
        }
        long xAt = DnnlMatmul.address(x);
        long wAt = w.get_data_handle().address();
        long cAt = DnnlMatmul.address(c);
        long biasAt = withBias ? DnnlMatmul.address(bias) : 0;
        if (columns > 1) {
            long width = n / columns;
            long blockBytes = blockLayout.get_size();
            Team.run(columns, b -> { // column block b into this thread's buffer, then into place
                INDArray out = blockOut(rows * width);
                Entry e = ENTRIES.get().computeIfAbsent(new Key(k, width, rows, withBias, activation, Team.ompThreads()),
                        Entry::of);
                e.primitive.execute(DnnlMatmul.stream(), e.bound.bind(xAt, wAt + b * blockBytes, DnnlMatmul.address(out),
                        biasAt + b * width * Float.BYTES));
                copyColumns(out, rows, width, c, b * width);
            });
        } else {
            int g0 = groups;
            Team.run(groups, g -> {
                long from = Team.partStart(rows, g0, g);
                Entry e = ENTRIES.get().computeIfAbsent(new Key(k, n, Team.partSize(rows, g0, g), withBias, activation,
                        Team.ompThreads()), Entry::of);
                e.primitive.execute(DnnlMatmul.stream(), e.bound.bind(xAt + from * k * Float.BYTES, wAt,
                        cAt + from * n * Float.BYTES, biasAt));
            });
        }
        java.lang.ref.Reference.reachabilityFence(x);
        java.lang.ref.Reference.reachabilityFence(c);
        java.lang.ref.Reference.reachabilityFence(bias);
        java.lang.ref.Reference.reachabilityFence(this);
        return true;
    }

    /** Whether every row group's primitive (at most two row counts) runs on the pack here. */
    private boolean groupsAccepted(Map<Key, Entry> entries, long rows, int groups, boolean bias, Activation activation,
                                   int omp) {
        for (int g = 0; g < Math.min(groups, 2); g++) {
            if (!accepted(entries, new Key(k, n, Team.partSize(rows, groups, g), bias, activation, omp), layout)) {
                return false;
            }
        }
        return true;
    }

    /** Whether this thread's primitive for {@code key} is a JIT 1×1 kernel reading weights laid out as {@code want}. */
    private static boolean accepted(Map<Key, Entry> entries, Key key, memory.desc want) {
        Entry e = entries.computeIfAbsent(key, Entry::of);
        return e.accepted && dnnl.dnnl_memory_desc_equal(e.layout.data(), want.data()) != 0;
    }

    /** This thread's buffer for a column block's product, at least {@code floats} long. */
    private static INDArray blockOut(long floats) {
        INDArray[] slot = BLOCK_OUT.get();
        if (slot[0] == null || slot[0].length() < floats) {
            slot[0] = Nd4j.create(DataType.FLOAT, Math.max(floats, 1 << 16));
        }
        return slot[0];
    }

    /** c[r, at + j] = out[r, j] for {@code rows × width} floats ({@code c} rows {@code n} apart). */
    private void copyColumns(INDArray out, long rows, long width, INDArray c, long at) {
        java.nio.ByteBuffer from = out.data().asNio();
        java.nio.ByteBuffer to = c.data().asNio();
        int src = Math.toIntExact(out.offset() * Float.BYTES);
        int dst = Math.toIntExact((c.offset() + at) * Float.BYTES);
        int len = Math.toIntExact(width * Float.BYTES);
        for (long r = 0; r < rows; r++, src += len, dst += (int) (n * Float.BYTES)) {
            to.put(dst, from, src, len);
        }
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

    /**
     * A product's shape: {@code [rows, k]·[k, n]}, with or without a bias, and what follows in its
     * pass; and the OpenMP threads its primitive was made for (a oneDNN primitive runs on the
     * threads there were when it was made, whatever the caller's count is when it runs).
     */
    record Key(long k, long n, long rows, boolean bias, Activation activation, int threads) {
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
