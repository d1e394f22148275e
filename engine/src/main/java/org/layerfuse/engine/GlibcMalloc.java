package org.layerfuse.engine;

import com.sun.jna.Function;
import com.sun.jna.Structure;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two knobs of glibc's allocator that decide how much of ND4J's freed native memory a
 * process keeps. ND4J allocates its arrays with malloc from many threads (the caller, OpenMP
 * workers, the deallocator threads that free arrays after a garbage collection), and glibc
 * gives each thread its own arena, up to 8 per core: measured in a MiniLM study, 16 arenas of
 * 64 MB, all resident, with the arrays of earlier steps freed inside them but never returned.
 * Fewer arenas let one thread reuse what another freed; a trim gives free pages back.
 *
 * <p>Both are no-ops where the C library has no such function (not glibc, not Linux).
 */
public final class GlibcMalloc {

    private static final Logger LOG = LoggerFactory.getLogger(GlibcMalloc.class);
    /** mallopt parameter number of M_ARENA_MAX in glibc's malloc.h. */
    private static final int M_ARENA_MAX = -8;
    /** mallopt parameter number of M_MMAP_THRESHOLD in glibc's malloc.h. */
    private static final int M_MMAP_THRESHOLD = -3;
    /** mallopt parameter number of M_TRIM_THRESHOLD in glibc's malloc.h. */
    private static final int M_TRIM_THRESHOLD = -1;
    /** System property: fixed mmap threshold (bytes, k/m suffix; 0 keeps glibc's sliding one). */
    public static final String MMAP_THRESHOLD_PROPERTY = "layerfuse.mmapThreshold";
    /** System property: fixed trim threshold (bytes, k/m suffix; default twice the mmap threshold, 0 leaves glibc's). */
    public static final String TRIM_THRESHOLD_PROPERTY = "layerfuse.trimThreshold";
    /**
     * Default fixed mmap threshold: 8 MB. At 4 MB the MiniLM study's [1024, 1536] FFN arrays
     * (6.3 MB) were mapped afresh at every allocation (main study 8:40 against 8:08 at 8 MB);
     * BERT-base's weight gradients (9.4 MB) and embedding gradients stay above it.
     */
    public static final long DEFAULT_MMAP_THRESHOLD = 8L << 20;
    /** glibc's largest mmap threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit). */
    private static final long MAX_MMAP_THRESHOLD = 32L << 20;

    private GlibcMalloc() {
    }

    /**
     * Caps the number of malloc arenas (as the environment variable MALLOC_ARENA_MAX would,
     * which is respected when set). Call before the native libraries start their threads.
     *
     * @return whether the cap was applied
     */
    public static boolean limitArenas(int arenas) {
        if (arenas < 1) {
            throw new IllegalArgumentException("malloc arenas must be >= 1, got " + arenas);
        }
        if (System.getenv("MALLOC_ARENA_MAX") != null) {
            return false;
        }
        Function mallopt = LibC.function("mallopt");
        boolean applied = mallopt != null && mallopt.invokeInt(new Object[] {M_ARENA_MAX, arenas}) == 1;
        if (applied) {
            LOG.debug("malloc arenas capped at {}", arenas);
        }
        return applied;
    }

    /**
     * Serves every allocation of at least {@code bytes} with its own mapping, returned to the
     * system when freed (as {@code MALLOC_MMAP_THRESHOLD_} would, which is respected when set).
     * glibc's default threshold slides up to 32 MB after the first large free, after which
     * ND4J's multi-megabyte arrays are carved from the arenas and their freed space stays
     * resident between the allocations of a training step: fixing it at 4 or 8 MB lowered the peak
     * of BERT-base fine-tuning from 3.41–3.60 GB to 3.24 / 3.21 GB (measured). Call before ND4J starts.
     *
     * @return whether the threshold was applied
     */
    public static boolean fixMmapThreshold(long bytes) {
        if (bytes < 0 || bytes > MAX_MMAP_THRESHOLD) {
            throw new IllegalArgumentException("mmap threshold must be in [0, 32 MB] (0: glibc's sliding default), got "
                    + bytes);
        }
        return fixThreshold(M_MMAP_THRESHOLD, bytes, "MALLOC_MMAP_THRESHOLD_", "mmap threshold");
    }

    /**
     * Lets an arena keep up to {@code bytes} of free space at its top instead of returning it to
     * the system at every free (as the environment variable MALLOC_TRIM_THRESHOLD_ would, which
     * is respected when set). glibc's sliding defaults keep the trim threshold at twice the mmap
     * threshold; fixing the mmap threshold ({@link #fixMmapThreshold}) also freezes the trim
     * threshold at its 128 KB start. Then every matrix product paid for it: oneDNN allocates its
     * packing buffers (≈ 0.5–3 MB, below the mmap threshold) at each call and frees them, the
     * arena's top was cut back at the free and the next call faulted the pages in again.
     * Measured on a 2-core AMD EPYC Zen 5 (2026-12-01, {@code FusedForwardProfile}, MiniLM
     * 32 × 32, separate JVMs): fused forward 148 / 167 → 122–126 ms, its 36 products alone
     * 93–123 → 68–80 ms; JMH 142 → 95 ms.
     * Call before ND4J starts; 0 leaves glibc's setting.
     *
     * @return whether the threshold was applied
     */
    public static boolean fixTrimThreshold(long bytes) {
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("trim threshold must be in [0, 2 GB), got " + bytes);
        }
        return fixThreshold(M_TRIM_THRESHOLD, bytes, "MALLOC_TRIM_THRESHOLD_", "trim threshold");
    }

    /** mallopt({@code parameter}, bytes) unless bytes is 0 or the environment variable is set. */
    private static boolean fixThreshold(int parameter, long bytes, String environmentVariable, String what) {
        if (bytes == 0 || System.getenv(environmentVariable) != null) {
            return false;
        }
        Function mallopt = LibC.function("mallopt");
        boolean applied = mallopt != null && mallopt.invokeInt(new Object[] {parameter, (int) bytes}) == 1;
        if (applied) {
            LOG.debug("malloc {} fixed at {} bytes", what, bytes);
        }
        return applied;
    }

    /**
     * The trim threshold from {@value #TRIM_THRESHOLD_PROPERTY} (a byte count with an optional k
     * or m suffix), else twice {@code mmapThreshold} (glibc's own ratio; 0 when that is 0).
     */
    public static long trimThresholdFromProperty(long mmapThreshold) {
        return byteCountProperty(TRIM_THRESHOLD_PROPERTY, 2 * mmapThreshold, Integer.MAX_VALUE,
                "a byte count below 2g (0: glibc's setting), e.g. 16m");
    }

    /** The threshold from {@value #MMAP_THRESHOLD_PROPERTY}: a byte count with an optional k or m suffix. */
    public static long mmapThresholdFromProperty() {
        return byteCountProperty(MMAP_THRESHOLD_PROPERTY, DEFAULT_MMAP_THRESHOLD, MAX_MMAP_THRESHOLD,
                "a byte count from 0 to 32m (0: glibc's sliding default), e.g. 8m");
    }

    private static long byteCountProperty(String property, long absent, long max, String expected) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            long n = ByteCount.parse(value);
            if (n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + " must be " + expected + "; got '" + value + "'");
        }
    }

    /** Returns free pages of every arena to the system ({@code malloc_trim(0)}); true if any were. */
    public static boolean trim() {
        Function trim = LibC.function("malloc_trim");
        return trim != null && trim.invokeInt(new Object[] {0L}) == 1;
    }

    /**
     * Bytes the program holds from malloc now: in use inside the arenas plus separately mapped
     * blocks ({@code mallinfo2}'s uordblks + hblkhd). Free space kept inside the arenas is not
     * counted. −1 where the C library has no {@code mallinfo2} (not glibc 2.33+).
     */
    public static long allocatedBytes() {
        Function mallinfo2 = LibC.function("mallinfo2");
        if (mallinfo2 == null) {
            return -1;
        }
        MallInfo2 info = (MallInfo2) mallinfo2.invoke(MallInfo2.class, new Object[0]);
        return info.uordblks + info.hblkhd;
    }

    /** glibc's {@code struct mallinfo2}, returned by value: ten {@code size_t} fields. */
    public static final class MallInfo2 extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        @Override
        protected List<String> getFieldOrder() {
            return List.of("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                    "fordblks", "keepcost");
        }
    }

}
