package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NativeMemoryTest {

    @Test
    void collectsAtMostTheGivenShareOfWallTime() {
        AtomicLong now = new AtomicLong(1_000);
        AtomicInteger collections = new AtomicInteger();
        // each collection takes 40 time units
        NativeMemory memory = new NativeMemory(0.1, now::get, () -> {
            collections.incrementAndGet();
            now.addAndGet(40);
        });
        assertTrue(memory.maybeCollect(false), "the first call collects");
        now.addAndGet(399); // 399 × 0.1 < 40: too soon
        assertFalse(memory.maybeCollect(false));
        now.addAndGet(1); // 400 × 0.1 = 40: allowed
        assertTrue(memory.maybeCollect(false));
        assertEquals(2, collections.get());
        // long steps: a collection before every one
        for (int i = 0; i < 5; i++) {
            now.addAndGet(2_000);
            assertTrue(memory.maybeCollect(false));
        }
        assertEquals(7, collections.get());
    }

    @Test
    void aQuietCallCollectsOnlyOnceMallocdMemoryGrewByTheThreshold() {
        AtomicLong now = new AtomicLong(1_000);
        AtomicLong held = new AtomicLong(500);
        AtomicInteger collections = new AtomicInteger();
        NativeMemory memory = new NativeMemory(0.05, now::get, () -> {
            collections.incrementAndGet();
            now.addAndGet(10);
        }, 100, held::get);
        assertTrue(memory.maybeCollect(true), "the first call collects");
        // long after: the share would allow it, but the memory held has not grown
        for (int i = 0; i < 5; i++) {
            now.addAndGet(10_000);
            held.addAndGet(19); // +95 in all: under the threshold
            assertFalse(memory.maybeCollect(true), "call " + i + ", held " + held.get());
        }
        // a call about to allocate collects whatever the growth, as the share allows
        assertTrue(memory.maybeCollect(false));
        now.addAndGet(10_000);
        held.addAndGet(99);
        assertFalse(memory.maybeCollect(true), "99 above the level right after the collection");
        held.addAndGet(1);
        assertTrue(memory.maybeCollect(true), "100 above the level right after the collection");
        // the floor is the lowest level seen since the collection: its dead arrays freed later
        now.addAndGet(10_000);
        held.addAndGet(50);
        assertFalse(memory.maybeCollect(true), "50 above the level right after the collection");
        held.set(400);
        assertFalse(memory.maybeCollect(true));
        held.set(499);
        assertFalse(memory.maybeCollect(true), "99 above the floor of 400");
        held.set(500);
        assertTrue(memory.maybeCollect(true), "100 above the floor of 400");
        assertEquals(4, collections.get());
        // growth allows it, the time share does not: 0.05 × 199 < 10
        now.addAndGet(199);
        held.addAndGet(1_000);
        assertFalse(memory.maybeCollect(true));
        now.addAndGet(1);
        assertTrue(memory.maybeCollect(true));
        assertEquals(5, collections.get());
    }

    /** Either gauge growing calls for a collection: resident memory grows where freed holes go unused. */
    @Test
    void aQuietCallCollectsWhenEitherGaugeGrew() {
        AtomicLong now = new AtomicLong(1_000);
        AtomicLong held = new AtomicLong(500);
        AtomicLong resident = new AtomicLong(2_000);
        AtomicInteger collections = new AtomicInteger();
        NativeMemory memory = new NativeMemory(0.05, now::get, () -> {
            collections.incrementAndGet();
            now.addAndGet(10);
        }, 100, held::get, resident::get);
        assertTrue(memory.maybeCollect(true));
        now.addAndGet(10_000);
        held.addAndGet(60);
        resident.addAndGet(60);
        assertFalse(memory.maybeCollect(true), "both under the threshold");
        resident.addAndGet(40);
        assertTrue(memory.maybeCollect(true), "resident 100 above its floor, held 60");
        now.addAndGet(10_000);
        held.addAndGet(100);
        assertTrue(memory.maybeCollect(true), "held 100 above its floor, resident not");
        now.addAndGet(10_000);
        resident.set(-1); // unknown: the other gauge decides
        held.addAndGet(99);
        assertFalse(memory.maybeCollect(true));
        assertEquals(3, collections.get());
    }

    @Test
    void withoutMallocFiguresTheTimeShareAloneDecides() {
        AtomicLong now = new AtomicLong(1_000);
        AtomicInteger collections = new AtomicInteger();
        NativeMemory memory = new NativeMemory(0.1, now::get, () -> {
            collections.incrementAndGet();
            now.addAndGet(40);
        }, 100, () -> -1, () -> -1);
        for (int i = 0; i < 4; i++) {
            assertTrue(memory.maybeCollect(true));
            now.addAndGet(400);
        }
        assertEquals(4, collections.get());
    }

    @Test
    void growthOptionIsAByteCountAndABadOneIsNamed() {
        assertEquals(NativeMemory.DEFAULT_GROWTH, NativeMemory.growthOf(null));
        assertEquals(NativeMemory.DEFAULT_GROWTH, NativeMemory.growthOf(" "));
        assertEquals(16L << 20, NativeMemory.growthOf("16m"));
        assertEquals(0, NativeMemory.growthOf("0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeMemory.growthOf("lots"));
        assertTrue(e.getMessage().contains(NativeMemory.GROWTH_PROPERTY) && e.getMessage().contains("'lots'"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new NativeMemory(0.05, System::nanoTime, () -> { }, -1, () -> 0));
    }

    @Test
    void shareZeroNeverCollects() {
        AtomicInteger collections = new AtomicInteger();
        NativeMemory memory = new NativeMemory(0, System::nanoTime, collections::incrementAndGet);
        assertFalse(memory.maybeCollect(false));
        assertEquals(0, collections.get());
    }

    @Test
    void badShareIsRefusedWithTheOptionName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NativeMemory(1.5, System::nanoTime, () -> { }));
        assertTrue(e.getMessage().contains("layerfuse.reclaimShare"), e.getMessage());
    }

    @Test
    void aDeadArrayIsCollectedByReclaim() {
        Backend.init();
        INDArray array = Nd4j.rand(DataType.FLOAT, 256, 256);
        WeakReference<INDArray> ref = new WeakReference<>(array);
        array = null;
        NativeMemory memory = new NativeMemory(NativeMemory.DEFAULT_SHARE, System::nanoTime, System::gc);
        assertTrue(memory.maybeCollect(false));
        assertNull(ref.get(), "the unreachable array was collected, so ND4J can free its buffer");
    }
}
