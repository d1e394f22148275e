package org.layerfuse.engine;

import java.util.function.LongSupplier;

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
 */
public final class NativeMemory {

    /** Default largest share of wall time spent in reclaiming collections. */
    public static final double DEFAULT_SHARE = 0.05;
    /** Time for ND4J's deallocator threads to free what a collection found dead. */
    private static final long TRIM_SETTLE_MS = 50;

    private static final NativeMemory GLOBAL = new NativeMemory(shareFromProperty(), System::nanoTime, System::gc);

    private final double share;
    private final LongSupplier clock;
    private final Runnable collector;
    private long lastEnd;
    private long lastCost = -1;

    NativeMemory(double share, LongSupplier clock, Runnable collector) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("layerfuse.reclaimShare must be between 0 and 1; got " + share);
        }
        this.share = share;
        this.clock = clock;
        this.collector = collector;
    }

    /**
     * Collects dead arrays unless the last collection was too recent for the time share; call
     * it before a call that allocates much native memory. Returns whether it collected.
     */
    public static boolean reclaim() {
        return GLOBAL.maybeCollect();
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

    synchronized boolean maybeCollect() {
        if (share == 0) {
            return false;
        }
        long now = clock.getAsLong();
        if (lastCost >= 0 && (double) (now - lastEnd) * share < lastCost) {
            return false;
        }
        collector.run();
        long end = clock.getAsLong();
        lastCost = end - now;
        lastEnd = end;
        return true;
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
