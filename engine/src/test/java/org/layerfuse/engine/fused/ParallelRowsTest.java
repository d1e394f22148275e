package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class ParallelRowsTest {

    private interface Loop {
        void run(int rows, int minRows, ParallelRows.Block body);
    }

    private static final Loop[] LOOPS = {ParallelRows::run, ParallelRows::each};

    @Test
    void everyRowRunsExactlyOnce() {
        for (Loop loop : LOOPS) {
            for (int rows : new int[] {0, 1, 7, 1000, 1001}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(rows);
                loop.run(rows, 3, (from, to) -> {
                    for (int r = from; r < to; r++) {
                        seen.incrementAndGet(r);
                    }
                });
                for (int r = 0; r < rows; r++) {
                    assertEquals(1, seen.get(r), "row " + r + " of " + rows);
                }
            }
        }
    }

    /** each: chunks of at least minRows, at most CHUNKS_PER_THREAD a thread, the same cuts every call, none lost. */
    @Test
    void eachCutsTheSameChunksEveryCall() {
        int rows = 1000;
        int minRows = 30;
        Set<Integer> first = cuts(rows, minRows);
        for (int i = 0; i < 300; i++) { // many calls: a late pool thread must never lose a chunk
            assertEquals(first, cuts(rows, minRows), "call " + i);
        }
        int chunks = first.size();
        int threads = ParallelRows.threads();
        if (threads > 1) {
            assertEquals(Math.min(rows / minRows, threads * ParallelRows.CHUNKS_PER_THREAD), chunks);
        } else {
            assertEquals(1, chunks, "one thread: one call over every row");
        }
        assertEquals(Set.of(0), cuts(29, 30), "fewer rows than minRows: one call");
    }

    private static Set<Integer> cuts(int rows, int minRows) {
        Set<Integer> starts = new ConcurrentSkipListSet<>();
        ParallelRows.each(rows, minRows, (from, to) -> {
            assertTrue(to - from >= Math.min(rows, minRows), "chunk [" + from + ", " + to + ")");
            starts.add(from);
        });
        return starts;
    }

    @Test
    void aFailingBlockFailsTheCall() {
        for (Loop loop : LOOPS) {
            assertThrows(IllegalStateException.class, () -> loop.run(100, 1, (from, to) -> {
                if (to == 100) {
                    throw new IllegalStateException("block " + from);
                }
            }));
            assertThrows(IllegalStateException.class, () -> loop.run(100, 1, (from, to) -> {
                if (from == 0) {
                    throw new IllegalStateException("the caller's first block");
                }
            }));
        }
    }

    @Test
    void eachStopsTakingChunksAfterAFailure() {
        AtomicInteger calls = new AtomicInteger();
        assertThrows(IllegalStateException.class, () -> ParallelRows.each(1000, 1, (from, to) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first chunk");
            }
            // the other chunks take a while, so a thread that keeps taking them cannot empty the
            // queue in the moment between the failing chunk's throw and its stop signal (on two
            // busy cores an empty body let one thread take all 15 others there: a flake)
            LockSupport.parkNanos(2_000_000);
        }));
        int chunks = Math.min(1000, ParallelRows.threads() * ParallelRows.CHUNKS_PER_THREAD);
        assertTrue(calls.get() < chunks || chunks == 1, calls.get() + " of " + chunks + " chunks ran after the failure");
    }
}
