package org.layerfuse.engine.fused;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.dnnl.global.dnnl;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two products of multi-head attention for a whole batch, each one batched oneDNN matmul
 * over every (sequence, head) pair, reading Q, K and V in place from their token-major
 * {@code [B·S, heads·d]} rows (head h is columns h·d … h·d + d) through strides: no head is
 * copied or permuted, and no Q is transposed.
 * <pre>
 *   scores:  Sᵀ[b, h, j, i] = Σ_e K[b·S + j, h·d + e] · Q[b·S + i, h·d + e]   (a key per row)
 *   context: C[b·S + i, h·d + e] = Σ_j P[b, h, j, i] · V[b·S + j, h·d + e]   (written in place)
 * </pre>
 * The scores are stored transposed, {@code [B, heads, S, sp]} with sp = S rounded up to whole
 * vectors (the padding columns are never written), so that the softmax over the keys runs
 * lane-wise down the columns as in {@link AttentionKernel}, and the context product reads the
 * probabilities back through the same strides.
 *
 * <p>Why: {@link AttentionKernel}'s Vector-API products ran at ≈ 30 GFLOP/s on one core of the
 * AVX2 Zen 3 for MiniLM's 32 × 32 × 32 heads, and a quarter of its time went to transposing Q;
 * oneDNN's batched matmul ({@code gemm:jit}, its batch split over the cores) does both products
 * of a MiniLM layer at 32 × 32 in ≈ 0.55 ms on two cores. The sums run in oneDNN's order, not
 * the Vector-API kernel's, so the bits differ from {@link AttentionKernel#sequence} (by float
 * rounding; tested against a float64 reference).
 *
 * <p>Primitives are kept per thread and shape like {@link DnnlMatmul}'s; a machine where the
 * library does not load, {@code -Dlayerfuse.fused.gemm.direct=false} or
 * {@code -Dlayerfuse.fused.attention.batched=false} makes {@link #available}
 * false, and a shape oneDNN has no primitive for makes {@link #supports} false: the caller then
 * uses {@link AttentionKernel}.
 */
public final class DnnlAttention {

    /** One batch's shape: B sequences of S tokens, heads of d, score rows sp floats apart; the OpenMP threads its primitives were made for. */
    private record Key(int batch, int seq, int heads, int d, int sp, int threads) {
    }

    private static final ThreadLocal<Map<Key, Entry>> ENTRIES = ThreadLocal.withInitial(() ->
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
                    if (size() > DnnlMatmul.SHAPES_KEPT / 2) {
                        eldest.getValue().close();
                        return true;
                    }
                    return false;
                }
            });

    private static final Logger LOG = LoggerFactory.getLogger(DnnlAttention.class);
    private static final boolean BY_PROPERTY =
            Boolean.parseBoolean(System.getProperty("layerfuse.fused.attention.batched", "true"));
    private static volatile boolean enabled = BY_PROPERTY;
    /** Shapes oneDNN made no primitive for (they stay on {@link AttentionKernel}). */
    private static final Set<Key> REFUSED = ConcurrentHashMap.newKeySet();

    private DnnlAttention() {
    }

    /**
     * Whether the products can run here: this path is on ({@code -Dlayerfuse.fused.attention.batched},
     * default true, or {@link #use}), oneDNN's library loads and the direct call is on.
     */
    public static boolean available() {
        return enabled && DnnlMatmul.ready();
    }

    /**
     * Turns this path on or off (benchmarks compare it with the per-sequence kernel); null goes
     * back to the property's choice.
     */
    public static void use(Boolean on) {
        enabled = on != null ? on : BY_PROPERTY;
    }

    /**
     * Whether both products of this shape run here ({@link #available}, and oneDNN made their
     * primitives: the first call of a shape on a thread makes them; a shape refused once, logged,
     * is refused from then on).
     */
    public static boolean supports(int batch, int seq, int heads, int d) {
        if (batch < 1 || seq < 1 || heads < 1 || d < 1 || !available()) {
            return false;
        }
        int groups = groups(batch);
        for (int g = 0; g < Math.min(groups, 2); g++) { // the groups have at most two sizes
            Key key = new Key((int) Team.partSize(batch, groups, g), seq, heads, d, scoreRow(seq), Team.ompThreads());
            if (REFUSED.contains(key)) {
                return false;
            }
            try {
                entry(key);
            } catch (RuntimeException e) {
                if (REFUSED.add(key)) {
                    LOG.info("oneDNN made no batched matmul for attention over " + key + " (" + e.getMessage()
                            + "): that shape runs on the Vector-API kernel");
                }
                return false;
            }
        }
        return true;
    }

    /**
     * Sequence groups a batch's products are cut into: one per thread of a {@link Team} inside a
     * team's scope (the packed-weights forward, whether or not it leads the team: the same
     * primitives either way, so the same bits), else one.
     */
    private static int groups(int batch) {
        return Team.inScope() ? Math.max(1, Math.min(Team.threads(), batch)) : 1;
    }

    /** Floats a row of the transposed scores takes: S rounded up to whole vectors of this machine. */
    public static int scoreRow(int seq) {
        return (seq + TransformerKernels.LANES - 1) / TransformerKernels.LANES * TransformerKernels.LANES;
    }

    /** Floats the transposed scores of a batch take: B·heads·S·{@link #scoreRow}. */
    public static long scoresSize(int batch, int seq, int heads) {
        return (long) batch * heads * seq * scoreRow(seq);
    }

    /**
     * Sᵀ[b, h, j, i] = Σ_e K[b·S + j, h·d + e]·Q[b·S + i, h·d + e] into {@code scores} (at least
     * {@link #scoresSize} floats, row j of block (b, h) at float (b·heads + h)·S·sp + j·sp).
     * Q and K are {@code [B·S, heads·d]} float32, row-major and dense.
     */
    public static void scores(INDArray q, INDArray k, INDArray scores, int batch, int seq, int heads) {
        check(q, "query", batch, seq, heads);
        check(k, "key", batch, seq, heads);
        checkScores(scores, batch, seq, heads);
        int d = (int) (q.columns() / heads);
        run(true, batch, seq, heads, d, DnnlMatmul.address(k), DnnlMatmul.address(q), DnnlMatmul.address(scores));
        java.lang.ref.Reference.reachabilityFence(q);
        java.lang.ref.Reference.reachabilityFence(k);
        java.lang.ref.Reference.reachabilityFence(scores);
    }

    /**
     * C[b·S + i, h·d + e] = Σ_j P[b, h, j, i]·V[b·S + j, h·d + e]: the probabilities in
     * {@link #scores}' transposed layout, V and the context {@code [B·S, heads·d]} float32.
     */
    public static void context(INDArray probabilities, INDArray v, INDArray ctx, int batch, int seq, int heads) {
        check(v, "value", batch, seq, heads);
        check(ctx, "context", batch, seq, heads);
        checkScores(probabilities, batch, seq, heads);
        int d = (int) (v.columns() / heads);
        run(false, batch, seq, heads, d, DnnlMatmul.address(probabilities), DnnlMatmul.address(v),
                DnnlMatmul.address(ctx));
        java.lang.ref.Reference.reachabilityFence(probabilities);
        java.lang.ref.Reference.reachabilityFence(v);
        java.lang.ref.Reference.reachabilityFence(ctx);
    }

    /**
     * One of the two products over the batch, a group of sequences per task: the scores product
     * reads (K, Q) and writes the scores, the context product reads (P, V) and writes the context;
     * a group's token rows and score blocks start where its first sequence's do.
     */
    private static void run(boolean scores, int batch, int seq, int heads, int d, long src, long wts, long dst) {
        int groups = groups(batch);
        long tokenFloats = (long) seq * heads * d;
        long scoreFloats = (long) heads * seq * scoreRow(seq);
        Team.run(groups, g -> {
            long first = Team.partStart(batch, groups, g);
            Entry e = entry((int) Team.partSize(batch, groups, g), seq, heads, d);
            long tokens = first * tokenFloats * Float.BYTES;
            long blocks = first * scoreFloats * Float.BYTES;
            if (scores) {
                e.run(e.scores, e.scoresArgs, src + tokens, wts + tokens, dst + blocks);
            } else {
                e.run(e.context, e.contextArgs, src + blocks, wts + tokens, dst + tokens);
            }
        });
    }

    private static void check(INDArray x, String what, int batch, int seq, int heads) {
        if (x.dataType() != DataType.FLOAT || x.rank() != 2 || x.rows() != (long) batch * seq
                || x.columns() % heads != 0 || x.ordering() != 'c' || x.elementWiseStride() != 1) {
            throw new IllegalArgumentException("DnnlAttention: " + what + " must be dense row-major FLOAT ["
                    + (long) batch * seq + ", heads·d] with " + heads + " heads, got " + x.dataType() + " "
                    + java.util.Arrays.toString(x.shape()));
        }
    }

    private static void checkScores(INDArray s, int batch, int seq, int heads) {
        if (s.dataType() != DataType.FLOAT || s.elementWiseStride() != 1
                || s.length() < scoresSize(batch, seq, heads)) {
            throw new IllegalArgumentException("DnnlAttention: the scores need a dense FLOAT buffer of "
                    + scoresSize(batch, seq, heads) + " floats, got " + s.dataType() + " of " + s.length());
        }
    }

    private static Entry entry(int batch, int seq, int heads, int d) {
        return entry(new Key(batch, seq, heads, d, scoreRow(seq), Team.ompThreads()));
    }

    private static Entry entry(Key key) {
        return ENTRIES.get().computeIfAbsent(key, kk -> new Entry(kk, DnnlMatmul.cpu()));
    }

    /** The two primitives of one shape, their memory objects and argument maps. */
    private static final class Entry {
        final matmul scores;
        final matmul context;
        final memory[] scoresMem = new memory[3];
        final memory[] contextMem = new memory[3];
        final IntMemoryMap scoresArgs;
        final IntMemoryMap contextArgs;
        final DnnlMatmul.Address[] at = {new DnnlMatmul.Address(), new DnnlMatmul.Address(),
            new DnnlMatmul.Address()};

        Entry(Key key, engine cpu) {
            long s = key.seq();
            long d = key.d();
            long h = (long) key.heads() * d;
            long sp = key.sp();
            long[] tokens = {s * h, d, h, 1};               // [B, heads, S, d] read from [B·S, heads·d] rows
            long[] block = {key.heads() * s * sp, s * sp};  // a (sequence, head) block of the scores
            memory.desc kd = desc(key.batch(), key.heads(), s, d, tokens);
            memory.desc qt = desc(key.batch(), key.heads(), d, s, new long[] {s * h, d, 1, h});
            memory.desc st = desc(key.batch(), key.heads(), s, s, new long[] {block[0], block[1], sp, 1});
            memory.desc p = desc(key.batch(), key.heads(), s, s, new long[] {block[0], block[1], 1, sp});
            memory.desc vd = desc(key.batch(), key.heads(), s, d, tokens);
            scores = new matmul(new matmul.primitive_desc(new matmul.desc(kd, qt, st), cpu));
            context = new matmul(new matmul.primitive_desc(new matmul.desc(p, vd, vd), cpu));
            scoresArgs = args(scoresMem, cpu, kd, qt, st);
            contextArgs = args(contextMem, cpu, p, vd, vd);
        }

        private static memory.desc desc(long b, long heads, long rows, long cols, long[] strides) {
            return new memory.desc(new long[] {b, heads, rows, cols}, memory.data_type.f32, strides);
        }

        private static IntMemoryMap args(memory[] mem, engine cpu, memory.desc src, memory.desc wts, memory.desc dst) {
            mem[0] = new memory(src, cpu, new Pointer());
            mem[1] = new memory(wts, cpu, new Pointer());
            mem[2] = new memory(dst, cpu, new Pointer());
            IntMemoryMap args = new IntMemoryMap();
            args.put(dnnl.DNNL_ARG_SRC, mem[0]);
            args.put(dnnl.DNNL_ARG_WEIGHTS, mem[1]);
            args.put(dnnl.DNNL_ARG_DST, mem[2]);
            return args;
        }

        void run(matmul primitive, IntMemoryMap args, long src, long wts, long dst) {
            memory[] mem = primitive == scores ? scoresMem : contextMem;
            mem[0].set_data_handle(at[0].at(src));
            mem[1].set_data_handle(at[1].at(wts));
            mem[2].set_data_handle(at[2].at(dst));
            primitive.execute(DnnlMatmul.stream(), args);
        }

        void close() {
            scoresArgs.close();
            contextArgs.close();
            for (memory m : scoresMem) {
                m.close();
            }
            for (memory m : contextMem) {
                m.close();
            }
            scores.close();
            context.close();
        }
    }
}
