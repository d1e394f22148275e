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
        assertTrue(memory.maybeCollect(), "the first call collects");
        now.addAndGet(399); // 399 × 0.1 < 40: too soon
        assertFalse(memory.maybeCollect());
        now.addAndGet(1); // 400 × 0.1 = 40: allowed
        assertTrue(memory.maybeCollect());
        assertEquals(2, collections.get());
        // long steps: a collection before every one
        for (int i = 0; i < 5; i++) {
            now.addAndGet(2_000);
            assertTrue(memory.maybeCollect());
        }
        assertEquals(7, collections.get());
    }

    @Test
    void shareZeroNeverCollects() {
        AtomicInteger collections = new AtomicInteger();
        NativeMemory memory = new NativeMemory(0, System::nanoTime, collections::incrementAndGet);
        assertFalse(memory.maybeCollect());
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
        assertTrue(memory.maybeCollect());
        assertNull(ref.get(), "the unreachable array was collected, so ND4J can free its buffer");
    }
}
