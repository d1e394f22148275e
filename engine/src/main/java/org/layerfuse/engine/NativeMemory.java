package org.layerfuse.engine;

import java.util.Arrays;
import java.util.function.LongSupplier;
import org.bytedeco.javacpp.Pointer;

/**
 * Gives the native memory of dead ND4J arrays back before the next large call needs memory.
 *
 * <p>ND4J 1.0.0-M2.1 frees an array's off-heap buffer only when the Java garbage collector
 * finds the array unreachable, and SameDiff's gradient calls leave their intermediate arrays
 * to it (inference calls free theirs as they go). Those arrays are small Java objects, so the
 * heap sees no pressure while native memory grows by what one call allocated (measured:
 * 1.45 GB per MiniLM training step at 32 × 32 tokens, ≈ 6 GB per BERT-base step). Every call
 * then writes to fresh pages (1.3 M page faults in a run of three MiniLM steps): a MiniLM
 * gradient call took 5.2 s, and 2.2–2.6 s once the dead arrays of the previous call are
 * collected first and their memory is reused; BERT-base 15.9 → 12–13 s.
 *
 * <p>{@link #reclaim()} asks for a collection before such a call, rate-limited so that
 * collections take at most a share of the wall time (default {@link #DEFAULT_SHARE}) (a collection costs ≈ 45 ms on a
 * 130 MB heap): with seconds-long steps it runs before every step, with the millisecond steps
 * of small test models every few hundred steps. {@code -Dlayerfuse.reclaimShare=0} turns it off.
 *
 * <p>{@link #reclaimIfGrown()} is for a call whose predecessor allocated nothing (a gradient
 * call that ran its plan on arrays it already had, its results in recycled arrays): it
 * collects, within the same share, only once the memory held from malloc or the resident
 * memory has grown by {@link #DEFAULT_GROWTH} (option {@value #GROWTH_PROPERTY}) above its
 * lowest level since the last collection (resident memory too, because freed arrays whose
 * small libnd4j structs wait for the collector leave holes that new arrays do not fit, so
 * glibc's arena grows while what it holds does not: with the malloc figure alone the main
 * command peaked 0.2–0.3 GB higher). A steady training loop leaves ≈ 1–2 MB a MiniLM step to
 * the collector, and a collection before every step the share allowed cost 6–11 % of the step
 * (alternated in one JVM); a call that is
 * about to allocate (a plan's first call) still collects first, since the freed holes it then
 * reuses are what keeps glibc's arena from growing (without that, the main command's signal
 * phase took 25 s instead of 20 s). Where neither size can be read, the time share alone decides.
 */
public final class NativeMemory {

    /** Default largest share of wall time spent in reclaiming collections. */
    public static final double DEFAULT_SHARE = 0.05;
    /** Default growth of malloc'd or resident memory since the last collection that calls for the next one. */
    public static final long DEFAULT_GROWTH = 64L << 20;
    /** System property: that growth, a byte count with an optional k, m or g suffix. */
    public static final String GROWTH_PROPERTY = "layerfuse.reclaimGrowth";
    /** Time for ND4J's deallocator threads to free what a collection found dead. */
    private static final long TRIM_SETTLE_MS = 50;

    private static final NativeMemory GLOBAL = new NativeMemory(shareFromProperty(), System::nanoTime, System::gc,
            growthFromProperty(), GlibcMalloc::allocatedBytes, Pointer::physicalBytes);

    private final double share;
    private final LongSupplier clock;
    private final Runnable collector;
    /** What the growth is measured on: malloc'd bytes, resident bytes (negative where unknown). */
    private final LongSupplier[] gauges;
    private final long growth;
    private long lastEnd;
    private long lastCost = -1;
    /**
     * Per gauge, its lowest level seen since the last collection: right after it, or lower once
     * ND4J's deallocator threads have freed what it found dead.
     */
    private final long[] floors;

    /** The time share alone decides: every call it allows collects. */
    NativeMemory(double share, LongSupplier clock, Runnable collector) {
        this(share, clock, collector, 0);
    }

    /**
     * {@code gauges}: sizes of the process's memory (bytes held from malloc, resident bytes), each
     * negative where unknown; a {@linkplain #maybeCollect(boolean) quiet} call collects only once
     * one of them has grown by {@code growth} above its lowest level since the last collection
     * (and the time share allows it), or where none is known.
     */
    NativeMemory(double share, LongSupplier clock, Runnable collector, long growth, LongSupplier... gauges) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("layerfuse.reclaimShare must be between 0 and 1; got " + share);
        }
        if (growth < 0) {
            throw new IllegalArgumentException(GROWTH_PROPERTY + " must be a byte count ≥ 0; got " + growth);
        }
        this.share = share;
        this.clock = clock;
        this.collector = collector;
        this.gauges = gauges.clone();
        this.floors = new long[gauges.length];
        Arrays.fill(floors, Long.MAX_VALUE);
        this.growth = growth;
    }

    /**
     * Collects dead arrays unless the last collection was too recent for the time share; call
     * it before a call that allocates much native memory. Returns whether it collected.
     */
    public static boolean reclaim() {
        return GLOBAL.maybeCollect(false);
    }

    /**
     * As {@link #reclaim()}, for a call whose predecessor allocated nothing: collects only once
     * the memory held from malloc or the resident memory has grown by the growth threshold since
     * the last collection.
     */
    public static boolean reclaimIfGrown() {
        return GLOBAL.maybeCollect(true);
    }

    /**
     * Between phases of a run (after a study cell): collects dead arrays, lets ND4J's
     * deallocator threads free them, and gives the free pages back to the system, so that what
     * one phase needed is not kept resident through the next (glibc keeps freed memory inside
     * its arenas otherwise). Costs a collection and some page faults in the next phase, so it
     * is not for every step.
     */
    public static void trim() {
        System.gc();
        try {
            Thread.sleep(TRIM_SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        GlibcMalloc.trim();
    }

    /** {@code quiet}: the growth threshold applies too ({@link #reclaimIfGrown()}). */
    synchronized boolean maybeCollect(boolean quiet) {
        if (share == 0) {
            return false;
        }
        long now = clock.getAsLong();
        if (quiet && lastCost >= 0 && growth > 0 && !grown()) {
            return false; // next to nothing for a collection to find
        }
        if (lastCost >= 0 && (double) (now - lastEnd) * share < lastCost) {
            return false;
        }
        collector.run();
        for (int i = 0; i < gauges.length; i++) {
            long after = growth > 0 ? gauges[i].getAsLong() : -1;
            floors[i] = after >= 0 ? after : Long.MAX_VALUE;
        }
        long end = clock.getAsLong();
        lastCost = end - now;
        lastEnd = end;
        return true;
    }

    /** Whether a known gauge grew by {@code growth} above its floor (each floor lowered to what it reads now); true where none is known. */
    private boolean grown() {
        boolean known = false;
        boolean grown = false;
        for (int i = 0; i < gauges.length; i++) {
            long now = gauges[i].getAsLong();
            if (now >= 0) {
                known = true;
                floors[i] = Math.min(floors[i], now);
                grown |= now - floors[i] >= growth;
            }
        }
        return grown || !known;
    }

    private static long growthFromProperty() {
        return growthOf(System.getProperty(GROWTH_PROPERTY));
    }

    /** The growth a {@value #GROWTH_PROPERTY} value asks for (null or blank: the default). */
    static long growthOf(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_GROWTH;
        }
        try {
            return ByteCount.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(GROWTH_PROPERTY + " must be a byte count with an optional k, m or g suffix "
                    + "(e.g. 64m, 0 to collect whenever the time share allows); got '" + value + "'", e);
        }
    }

    private static double shareFromProperty() {
        String value = System.getProperty("layerfuse.reclaimShare");
        if (value == null || value.isBlank()) {
            return DEFAULT_SHARE;
        }
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("layerfuse.reclaimShare must be a number between 0 and 1; got '" + value
                    + "'", e);
        }
    }
}
