package org.layerfuse.engine.fused;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A float32 weight matrix {@code w} ({@code [k, n]}, row-major) packed once into the layout of
 * oneDNN's sgemm kernels, so that a product {@code c = x·w (+ bias)} reads it as it is instead of
 * packing it again at every call: what ONNX Runtime does with a session's constant weights (MLAS
 * prepacks them when the session is made).
 *
 * <p>Why: a direct product copies the whole weight matrix into the kernel's layout before it
 * multiplies, every call. Packed once, the 36 products of a MiniLM forward take, on the AVX2 Zen 3
 * (2 threads, medians, the two ways alternated): 16.3 against 18.6–19.0 ms at 128 rows, 30.5–31.8
 * against 36.0–37.0 at 256, 59.2 against 63.7 at 512, 120.0 against 123.7–124.0 at 1024; two
 * BERT-base layers 48.8 against 71.6 ms at 256 rows. Below 64 rows the direct call is faster (its
 * small-matrix kernels; packed 4.7 against 4.0 ms at 16 rows), so {@link #MIN_ROWS}. Inside
 * MiniLM's forward (alternated in one JVM, medians of 61): the real tokens of 32 × 32 (628 rows)
 * 6 % faster, the padded 32 × 32 (1024 rows) 0–1.4 %.
 *
 * <p>How: oneDNN's own packed-GEMM entry points ({@code sgemm_pack_get_size}, {@code sgemm_pack},
 * {@code extended_sgemm} with the packed operand marked {@code 'P'}), exported by the oneDNN
 * library that ships beside ND4J ({@code org.bytedeco:dnnl}, 2.5) though not in its C API, called
 * through JNA. In oneDNN's column-major terms the product is {@code cᵀ = wᵀ·xᵀ}: {@code w} is the
 * packed {@code A} ({@code n × k}), {@code x} the {@code B} ({@code k × rows}). The pack is laid
 * out for the OpenMP thread count of the thread that made it; a product on a thread with another
 * count, or on a library without these symbols, is refused ({@link #gemm} returns false) and the
 * caller runs the direct product. The bias is added in the kernel's own pass, as the direct
 * call's matmul bias is. The kernels are the direct call's ({@code gemm:jit}); for most shapes
 * the bits are the same, for some the order of the sums differs (float32 rounding, ≤ 2e-6 on
 * values of order 1), which {@code PackedMatrixTest} bounds.
 *
 * <p>The pack is a snapshot: a write to {@code w} after {@link #pack} is not seen by it.
 */
public final class PackedMatrix implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PackedMatrix.class);

    /** Below this many rows of {@code x} the direct product is the faster (see the class doc). */
    public static final int MIN_ROWS = 64;

    /**
     * The row count the pack is laid out for (oneDNN splits a packed matrix between its threads by
     * the product's shape when it packs). Measured on the AVX2 Zen 3, 36 MiniLM products: packed
     * for 64 rows, products of 48–256 rows gain 9–13 % but 1024 rows none; packed for 1024, 128–1024
     * rows gain 3–14 % and 64 rows 3–6 %.
     */
    static final long LAID_OUT_FOR_ROWS = 1024;

    private static final String PACK_SIZE = "_ZN4dnnl4impl3cpu19sgemm_pack_get_sizeEPKcS3_S3_PKlS5_S5_S5_S5_PmPb";
    private static final String PACK = "_ZN4dnnl4impl3cpu10sgemm_packEPKcS3_S3_PKlS5_S5_S5_S5_PKfPf";
    private static final String COMPUTE = "_ZN4dnnl4impl3cpu14extended_sgemmEPKcS3_PKlS5_S5_PKfS7_S5_S7_S5_S7_PfS5_S7_b";

    private static volatile Library library;
    private static volatile boolean failed;

    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    private final long k;
    private final long n;
    private final int threads;
    private final long bytes;
    private final java.lang.ref.Cleaner.Cleanable freeing;
    private volatile Pointer packed;

    private PackedMatrix(long k, long n, int threads, Native memory) {
        this.k = k;
        this.n = n;
        this.threads = threads;
        this.bytes = memory.bytes;
        this.packed = memory.aligned();
        this.freeing = CLEANER.register(this, memory);
    }

    /** The pack's native block (malloc'd; freed by {@link #close} or when the pack is collected). */
    private static final class Native implements Runnable {
        final long bytes;
        private long address;

        Native(long bytes) {
            this.bytes = bytes;
            this.address = com.sun.jna.Native.malloc(bytes + 64);
            if (address == 0) {
                throw new OutOfMemoryError("packing a weight matrix: malloc of " + (bytes + 64) + " bytes failed");
            }
        }

        Pointer aligned() {
            return new Pointer((address + 63) & ~63L);
        }

        @Override
        public synchronized void run() {
            if (address != 0) {
                com.sun.jna.Native.free(address);
                address = 0;
            }
        }
    }

    /** Whether oneDNN's packed GEMM can be called here (the library loads and has its entry points). */
    public static boolean available() {
        return library() != null;
    }

    /**
     * {@code w} ({@code [k, n]} float32, row-major and contiguous) packed for products on threads
     * with this thread's OpenMP thread count; null where that cannot be done here (not float32,
     * not contiguous, not on the CPU, or no packed GEMM in the library: then products stay direct).
     */
    public static PackedMatrix pack(INDArray w) {
        if (w.dataType() != DataType.FLOAT || w.rank() != 2 || w.ordering() != 'c' || w.elementWiseStride() != 1
                || !Nd4j.getEnvironment().isCPU()) {
            return null;
        }
        Library lib = library();
        if (lib == null) {
            return null;
        }
        long k = w.rows();
        long n = w.columns();
        Args args = Args.mine();
        args.dims(n, LAID_OUT_FOR_ROWS, k, n, k, n);
        Memory size = new Memory(8);
        Memory copy = new Memory(1);
        int status = lib.packSize.invokeInt(new Object[] {args.a, args.n, args.n, args.m, args.nCols, args.k,
                args.lda, args.ldb, size, copy});
        if (status != 0 || size.getLong(0) <= 0) {
            LOG.info("oneDNN's sgemm_pack_get_size refused [" + k + "," + n + "] (status " + status
                    + "): products with it stay direct");
            return null;
        }
        Native block = new Native(size.getLong(0));
        status = lib.pack.invokeInt(new Object[] {args.a, args.n, args.n, args.m, args.nCols, args.k, args.lda,
                args.ldb, new Pointer(DnnlMatmul.address(w)), block.aligned()});
        java.lang.ref.Reference.reachabilityFence(w);
        if (status != 0) {
            block.run();
            LOG.info("oneDNN's sgemm_pack refused [" + k + "," + n + "] (status " + status
                    + "): products with it stay direct");
            return null;
        }
        return new PackedMatrix(k, n, ompThreads(), block);
    }

    /** The packed matrix's rows (the product's inner dimension). */
    public long rows() {
        return k;
    }

    /** The packed matrix's columns (the product's output width). */
    public long columns() {
        return n;
    }

    /** The bytes this pack holds (native). */
    public long bytes() {
        return packed == null ? 0 : bytes;
    }

    /**
     * {@code c = x·w + bias} ({@code bias} a float32 row of {@code n}, or null): {@code x} a
     * contiguous row-major {@code [rows, k]}, {@code c} a contiguous row-major {@code [rows, n]},
     * both float32. False, c untouched, where this pack cannot run it here (closed, shapes or
     * layouts not these, another OpenMP thread count on this thread): run the direct product then.
     */
    public boolean gemm(INDArray x, INDArray bias, INDArray c) {
        Pointer p = packed;
        Library lib = library;
        if (p == null || lib == null || !dense(x, k) || !dense(c, n) || x.rows() != c.rows()
                || (bias != null && (bias.dataType() != DataType.FLOAT || bias.length() != n
                        || bias.elementWiseStride() != 1)) || ompThreads() != threads) {
            return false;
        }
        long rows = x.rows();
        Args args = Args.mine();
        args.dims(n, rows, k, n, k, n);
        int status = lib.compute.invokeInt(new Object[] {args.p, args.n, args.m, args.nCols, args.k, args.one,
                p, args.lda, new Pointer(DnnlMatmul.address(x)), args.ldb, args.zero,
                new Pointer(DnnlMatmul.address(c)), args.ldc, bias == null ? null : new Pointer(DnnlMatmul.address(bias)),
                0});
        java.lang.ref.Reference.reachabilityFence(x);
        java.lang.ref.Reference.reachabilityFence(c);
        java.lang.ref.Reference.reachabilityFence(bias);
        java.lang.ref.Reference.reachabilityFence(this);
        return status == 0;
    }

    /**
     * Frees the pack; later products with it are refused. Not while a product with it runs on
     * another thread (its owner closes it when no forward uses it).
     */
    @Override
    public void close() {
        packed = null;
        freeing.clean();
    }

    private static boolean dense(INDArray a, long cols) {
        return a.dataType() == DataType.FLOAT && a.rank() == 2 && a.columns() == cols && a.ordering() == 'c'
                && a.elementWiseStride() == 1 && a.stride(0) == cols;
    }

    private static int ompThreads() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    private static Library library() {
        Library lib = library;
        if (lib != null || failed) {
            return lib;
        }
        synchronized (PackedMatrix.class) {
            if (library == null && !failed) {
                try {
                    if (!DnnlMatmul.ready()) {
                        throw new IllegalStateException("oneDNN's library is not in use");
                    }
                    String path = org.bytedeco.javacpp.Loader.getLoadedLibraries().get("dnnl@.2");
                    if (path == null) {
                        throw new IllegalStateException("no libdnnl.so.2 among " + org.bytedeco.javacpp.Loader
                                .getLoadedLibraries().keySet());
                    }
                    NativeLibrary nl = NativeLibrary.getInstance(path);
                    library = new Library(nl.getFunction(PACK_SIZE), nl.getFunction(PACK), nl.getFunction(COMPUTE));
                } catch (Throwable e) {
                    failed = true;
                    LOG.info("oneDNN's packed GEMM is not available (" + e + "): products pack their weights each call");
                }
            }
            return library;
        }
    }

    private record Library(Function packSize, Function pack, Function compute) {
    }

    /** A thread's argument cells (the entry points take every argument by pointer). */
    private static final class Args {
        private static final ThreadLocal<Args> MINE = ThreadLocal.withInitial(Args::new);
        private final Memory cells = new Memory(128);
        final Pointer a = cells.share(0);
        final Pointer n = cells.share(2);
        final Pointer p = cells.share(4);
        final Pointer one = cells.share(8);
        final Pointer zero = cells.share(12);
        final Pointer m = cells.share(16);
        final Pointer nCols = cells.share(24);
        final Pointer k = cells.share(32);
        final Pointer lda = cells.share(40);
        final Pointer ldb = cells.share(48);
        final Pointer ldc = cells.share(56);

        private Args() {
            cells.setByte(0, (byte) 'A');
            cells.setByte(1, (byte) 0);
            cells.setByte(2, (byte) 'N');
            cells.setByte(3, (byte) 0);
            cells.setByte(4, (byte) 'P');
            cells.setByte(5, (byte) 0);
            cells.setFloat(8, 1f);
            cells.setFloat(12, 0f);
        }

        static Args mine() {
            return MINE.get();
        }

        void dims(long m, long nCols, long k, long lda, long ldb, long ldc) {
            cells.setLong(16, m);
            cells.setLong(24, nCols);
            cells.setLong(32, k);
            cells.setLong(40, lda);
            cells.setLong(48, ldb);
            cells.setLong(56, ldc);
        }

        @Override
        public String toString() {
            return Arrays.toString(cells.getLongArray(16, 6));
        }
    }
}
