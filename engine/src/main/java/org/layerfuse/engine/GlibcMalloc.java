package org.layerfuse.engine;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
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
        Function mallopt = function("mallopt");
        boolean applied = mallopt != null && mallopt.invokeInt(new Object[] {M_ARENA_MAX, arenas}) == 1;
        if (applied) {
            LOG.debug("malloc arenas capped at {}", arenas);
        }
        return applied;
    }

    /** Returns free pages of every arena to the system ({@code malloc_trim(0)}); true if any were. */
    public static boolean trim() {
        Function trim = function("malloc_trim");
        return trim != null && trim.invokeInt(new Object[] {0L}) == 1;
    }

    private static Function function(String name) {
        try {
            return NativeLibrary.getInstance("c").getFunction(name);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }
}
