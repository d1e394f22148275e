package org.layerfuse.engine.fused;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A float32 matrix product on oneDNN's matmul primitive, called directly through the oneDNN
 * library that ships beside ND4J ({@code org.bytedeco:dnnl}), instead of through ND4J's
 * {@code matmul} op and its oneDNN helper.
 *
 * <p>Why: the op costs ≈ 70 µs a call beyond the product itself (the Java op context, the native
 * call, libnd4j's checks, the helper building its descriptors and memory objects), where the
 * product of a few rows by MiniLM's [384, 384] kernel takes 150–250 µs. Measured on the AVX2 Zen 3
 * (2 threads, the two ways alternated in random order in one JVM, medians of 100): the 36
 * products of a MiniLM forward over six layers' weights 11.0 → 8.7 ms at 1 row, 13.9 → 11.5 at
 * 8, 16.6 → 13.9 at 32 and 216.9 → 205.9 at 1024 rows; MiniLM's fused forward (medians of 60)
 * 17.8 → 16.8 ms at 1 × 32, 75.4 → 67.9 at 8 × 32 and 210.2 → 200.7 at 32 × 32; its training
 * step (medians of 30) 888.9 → 872.3 ms. Each thread keeps, per product shape, the primitive,
 * its three memory objects and their argument map; a call points the memory objects at the
 * arrays and runs it.
 *
 * <p>Same bits: ND4J's helper runs the same primitive ({@code gemm:jit} on the machines
 * measured) from oneDNN 2.3 linked into libnd4j; this library is oneDNN 2.5. Where the two
 * versions could choose different kernels for a shape, the first product of each shape in the
 * process is run both ways and the raw bits compared. On AVX-512, oneDNN 2.5's default f32 matmul
 * is its brgemm kernel ({@code brg:avx512_core}), whose sums differ from gemm:jit's for many
 * shapes: such a shape is run once more on this library's {@code gemm:jit} (picked from the
 * primitive descriptor's implementations) and, where that gives the op's bits, runs on it from
 * then on (logged once); a shape whose bits still differ stays on ND4J's op (logged once). So
 * switching this on changes no result, only the time. On the Intel Xeon of session 47 every
 * shape of the main command and of BERT-base's forward that had stayed on the op (16 and 5) runs
 * on gemm:jit with the op's bits; BERT-base's forward at 32 × 32 took 699.9 ms against 727.0
 * (medians of five alternated runs of 15–20), where brg:avx512_core took 30.2 ms for
 * [1024, 768]·[768, 3072] against gemm:jit's 15.5. gemm:jit is not preferred everywhere: at
 * MiniLM's widths and 256–640 rows brg is up to 20 % faster.
 *
 * <p>Used by {@link Gemm} for float32 rank-2 products with α = 1 on ND4J's oneDNN route, whose
 * operands have a unit stride in one dimension. {@code -Dlayerfuse.fused.gemm.direct=false}
 * turns it off; a machine where the library does not load falls back to the op (logged once).
 */
final class DnnlMatmul {

    private static final Logger LOG = LoggerFactory.getLogger(DnnlMatmul.class);
    private static final boolean BY_PROPERTY =
            Boolean.parseBoolean(System.getProperty("layerfuse.fused.gemm.direct", "true"));
    private static volatile boolean enabled = BY_PROPERTY;
    private static volatile engine cpu;
    private static volatile boolean failed;
    /** Per product shape: whether this library's bits equal ND4J's op (checked at first use). */
    private static final Map<Key, Boolean> SAME_BITS = new ConcurrentHashMap<>();
    /** Shapes whose direct call runs on {@code gemm:jit}: the default implementation's bits differed, its did not. */
    private static final Set<Key> ON_GEMM_JIT = ConcurrentHashMap.newKeySet();
    private static final ThreadLocal<State> STATE = new ThreadLocal<>();
    /**
     * Primitives a thread keeps (one per product shape). A packed training run makes a dozen
     * product shapes (forward and gradient) per packed row count, and its batches cycle through
     * several row counts: with 64 kept, shapes were evicted and made again every few steps (MiniLM,
     * eight batches of 160–1024 real tokens cycled: 33 ms a step over each batch alone; 13 ms with
     * 256 kept). A primitive holds descriptors, not data.
     */
    static final int SHAPES_KEPT = 256;

    /**
     * One product's shape: op(a) is [m, k] with strides (as0, as1), op(b) [k, n] with (bs0, bs1),
     * c's rows cs0 apart, whether a bias row is added, whether the primitive is oneDNN's
     * {@code gemm:jit} rather than its default implementation ({@link #recordOnGemmJit}), and the
     * caller's OpenMP threads (a primitive runs on the threads there were when it was made, and its
     * bits may depend on them: a {@link Team}'s threads have one each).
     */
    record Key(long m, long k, long n, long as0, long as1, long bs0, long bs1, long cs0, double beta, boolean bias,
               boolean gemmJit, int threads) {

        Key withBias() {
            return new Key(m, k, n, as0, as1, bs0, bs1, cs0, beta, true, gemmJit, threads);
        }

        /** The same product on oneDNN's {@code gemm:jit} implementation (see {@link #runsOnGemmJit}). */
        Key withGemmJit() {
            return new Key(m, k, n, as0, as1, bs0, bs1, cs0, beta, bias, true, threads);
        }

        /** The same product on oneDNN's default implementation. */
        Key withoutGemmJit() {
            return new Key(m, k, n, as0, as1, bs0, bs1, cs0, beta, bias, false, threads);
        }

        /** The same product on {@code rows} of op(a)'s rows, made for {@code omp} OpenMP threads. */
        Key withRows(long rows, int omp) {
            return new Key(rows, k, n, as0, as1, bs0, bs1, cs0, beta, bias, gemmJit, omp);
        }
    }

    private DnnlMatmul() {
    }

    /** Turns the direct call on or off (benchmarks, tests); null goes back to the property's choice. */
    static void use(Boolean on) {
        enabled = on != null ? on : BY_PROPERTY;
    }

    /** What a product needs to go this way, and the key of its shape; null where it cannot. */
    static Key key(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha, double beta) {
        if (!enabled || failed || alpha != 1.0 || a.rank() != 2 || b.rank() != 2 || c.rank() != 2
                || a.dataType() != DataType.FLOAT || b.dataType() != DataType.FLOAT || c.dataType() != DataType.FLOAT
                || c.ordering() != 'c') {
            return null;
        }
        long m = transposeA ? a.size(1) : a.size(0);
        long k = transposeA ? a.size(0) : a.size(1);
        long n = transposeB ? b.size(0) : b.size(1);
        long kb = transposeB ? b.size(1) : b.size(0);
        if (k != kb || c.size(0) != m || c.size(1) != n || m == 0 || n == 0 || k == 0) {
            return null; // ND4J's op names the mismatch
        }
        long[] as = strides(m, k, transposeA ? a.stride(1) : a.stride(0), transposeA ? a.stride(0) : a.stride(1));
        long[] bs = strides(k, n, transposeB ? b.stride(1) : b.stride(0), transposeB ? b.stride(0) : b.stride(1));
        long[] cs = strides(m, n, c.stride(0), c.stride(1));
        if (as == null || bs == null || cs == null || cs[1] != 1) { // c's rows must be contiguous
            return null;
        }
        return new Key(m, k, n, as[0], as[1], bs[0], bs[1], cs[0], beta, false, false, Team.ompThreads());
    }

    /**
     * A [rows, cols] operand's strides as oneDNN takes them: one of them 1, the other at least the
     * extent it steps over. A dimension of size 1 has no stride of its own in ND4J (a row vector
     * may say [1, 1]); it gets the one a dense row-major (or column-major) layout would have.
     */
    private static long[] strides(long rows, long cols, long s0, long s1) {
        if (rows == 1 && cols == 1) {
            return new long[] {1, 1};
        }
        if (rows == 1) {
            s0 = s1 == 1 ? cols : 1;
        } else if (cols == 1) {
            s1 = s0 == 1 ? rows : 1;
        }
        if (s1 == 1 && s0 >= cols || s0 == 1 && s1 >= rows) {
            return new long[] {s0, s1};
        }
        return null;
    }

    /**
     * Whether this shape's bits are known to equal ND4J's op (true), known to differ (false),
     * or not yet checked (null).
     */
    static Boolean sameBits(Key key) {
        return SAME_BITS.get(key);
    }

    /**
     * Records that {@code key}'s direct call runs on oneDNN's {@code gemm:jit} from now on (its
     * default implementation gave other bits than ND4J's op and gemm:jit gave the op's), and that
     * it then gives the op's bits.
     */
    static void recordOnGemmJit(Key key) {
        ON_GEMM_JIT.add(key);
        if (SAME_BITS.putIfAbsent(key, true) == null) {
            LOG.info(String.format(Locale.ROOT, "oneDNN's default matmul gives other bits than ND4J's op for "
                    + "[%d,%d]·[%d,%d] (strides %d,%d / %d,%d, β=%s%s); its gemm:jit gives the op's: that shape runs on it",
                    key.m(), key.k(), key.k(), key.n(), key.as0(), key.as1(), key.bs0(), key.bs1(), key.beta(),
                    key.bias() ? ", bias" : ""));
        }
    }

    /** Whether {@code key}'s direct call runs on {@code gemm:jit} ({@link #recordOnGemmJit}). */
    static boolean runsOnGemmJit(Key key) {
        return key.gemmJit() || ON_GEMM_JIT.contains(key);
    }

    /** The key whose primitive {@code key}'s direct call runs: its gemm:jit twin where recorded. */
    private static Key effective(Key key) {
        return runsOnGemmJit(key) ? key.withGemmJit() : key;
    }

    /** Records the first-use comparison of {@code key}'s bits with ND4J's op. */
    static void recordSameBits(Key key, boolean same) {
        if (SAME_BITS.putIfAbsent(key, same) == null && !same) {
            LOG.info(String.format(Locale.ROOT, "oneDNN's matmul called directly gives other bits than ND4J's op for "
                    + "[%d,%d]·[%d,%d] (strides %d,%d / %d,%d, β=%s%s): that shape stays on ND4J's op",
                    key.m(), key.k(), key.k(), key.n(), key.as0(), key.as1(), key.bs0(), key.bs1(), key.beta(),
                    key.bias() ? ", bias" : ""));
        }
    }

    /** Whether the library is loaded (loading it now if need be) and the direct call is on. */
    static boolean ready() {
        if (!enabled || failed) {
            return false;
        }
        try {
            state();
            return true;
        } catch (Throwable e) {
            fail(e);
            return false;
        }
    }

    /** The CPU engine (after {@link #ready}). */
    static engine cpu() {
        return cpu;
    }

    /** This thread's stream (after {@link #ready}). */
    static stream stream() {
        return state().stream;
    }

    /**
     * c = op(a)·op(b) + bias + β·c ({@code bias} a dense float32 row of n, or null for a key
     * without one); false where the library could not run it.
     */
    static boolean run(Key key, INDArray a, INDArray b, INDArray bias, INDArray c) {
        boolean ran = run(key, address(a), address(b), bias != null ? address(bias) : 0, address(c));
        java.lang.ref.Reference.reachabilityFence(a);
        java.lang.ref.Reference.reachabilityFence(b);
        java.lang.ref.Reference.reachabilityFence(bias);
        java.lang.ref.Reference.reachabilityFence(c);
        return ran;
    }

    /**
     * {@link #run(Key, INDArray, INDArray, INDArray, INDArray)} on the operands' addresses (op(a)'s
     * first row, b, the bias or 0, c's first row): the caller keeps the arrays alive.
     */
    static boolean run(Key key, long a, long b, long bias, long c) {
        State state;
        try {
            state = state();
        } catch (Throwable e) {
            fail(e);
            return false;
        }
        key = effective(key);
        Entry entry = state.entries.get(key);
        if (entry == null) {
            try {
                entry = new Entry(key, cpu);
            } catch (RuntimeException e) { // oneDNN has no primitive for this shape: it alone stays on the op
                refuse(key, e);
                return false;
            }
            state.entries.put(key, entry);
        }
        IntMemoryMap args = entry.bound.bind(a, b, c, bias);
        try {
            entry.primitive.execute(state.stream, args);
        } catch (RuntimeException e) { // oneDNN checks the arguments before it writes anything
            refuse(key, e);
            return false;
        }
        return true;
    }

    private static void refuse(Key key, RuntimeException e) {
        if (key.gemmJit()) { // gemm:jit tried for a shape (the first-use check) or run for one: the op takes it
            Key plain = key.withoutGemmJit();
            if (!ON_GEMM_JIT.remove(plain)) {
                return; // only tried: the check records the outcome
            }
            key = plain;
        }
        SAME_BITS.put(key, false);
        LOG.info("oneDNN's matmul refused " + key + " (" + e.getMessage() + "): that shape stays on ND4J's op");
    }

    /** The oneDNN implementation of this thread's primitive for {@code key} (after a product of it), or null. */
    static String implementation(Key key) {
        State state = STATE.get();
        Entry e = state == null ? null : state.entries.get(effective(key));
        return e == null ? null : e.implementation;
    }

    static long address(INDArray x) {
        return x.data().address() + x.offset() * Float.BYTES;
    }

    private static State state() {
        State s = STATE.get();
        if (s == null) {
            if (cpu == null) {
                synchronized (DnnlMatmul.class) {
                    if (cpu == null) {
                        cpu = new engine(engine.kind.cpu, 0);
                    }
                }
            }
            s = new State(new stream(cpu));
            STATE.set(s);
        }
        return s;
    }

    private static void fail(Throwable e) {
        if (!failed) {
            failed = true;
            LOG.info("oneDNN's library did not load (" + e + "); products go through ND4J's op");
        }
    }

    /**
     * A thread's stream and its primitives by shape (memory objects are rebound at every call, so
     * not shared), the {@value #SHAPES_KEPT} used last: a run whose batches vary in length makes a
     * shape per length, and the least recently used one's native objects are freed.
     */
    private static final class State {
        final stream stream;
        final Map<Key, Entry> entries = new LruCache<>(SHAPES_KEPT, Entry::close);

        State(stream stream) {
            this.stream = stream;
        }
    }

    private static final class Entry {
        final matmul primitive;
        final String implementation;
        final ProductMemory bound;

        Entry(Key key, engine cpu) {
            memory.desc a = new memory.desc(new long[] {key.m(), key.k()}, memory.data_type.f32,
                    new long[] {key.as0(), key.as1()});
            memory.desc b = new memory.desc(new long[] {key.k(), key.n()}, memory.data_type.f32,
                    new long[] {key.bs0(), key.bs1()});
            memory.desc c = new memory.desc(new long[] {key.m(), key.n()}, memory.data_type.f32,
                    new long[] {key.cs0(), 1});
            primitive_attr attr = new primitive_attr();
            if (key.beta() != 0) {
                post_ops sum = new post_ops();
                sum.append_sum((float) key.beta(), memory.data_type.undef);
                attr.set_post_ops(sum);
            }
            memory.desc row = key.bias() ? new memory.desc(new long[] {1, key.n()}, memory.data_type.f32,
                    new long[] {key.n(), 1}) : null;
            matmul.desc desc = row != null ? new matmul.desc(a, b, row, c) : new matmul.desc(a, b, c);
            matmul.primitive_desc pd = new matmul.primitive_desc(desc, attr, cpu);
            if (key.gemmJit()) { // the implementation ND4J's oneDNN helper runs, where it is not the default
                boolean found = pd.impl_info_str().getString().startsWith("gemm:jit");
                while (!found && pd.next_impl()) {
                    found = pd.impl_info_str().getString().startsWith("gemm:jit");
                }
                if (!found) {
                    pd.close();
                    throw new IllegalStateException("oneDNN has no gemm:jit matmul for this shape");
                }
            }
            implementation = pd.impl_info_str().getString();
            primitive = new matmul(pd);
            bound = new ProductMemory(cpu, a, b, c, row);
        }

        void close() {
            bound.close();
            primitive.close();
        }
    }

    /** A pointer whose address is set in place (no new object per product). */
    static final class Address extends Pointer {
        Address at(long at) {
            this.address = at;
            return this;
        }
    }
}
