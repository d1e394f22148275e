package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GlibcMallocTest {

    @Test
    void arenaCountMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> GlibcMalloc.limitArenas(0));
    }

    /** Freed ND4J arrays stay resident inside malloc's heaps until a trim gives the pages back. */
    @Test
    void trimReturnsFreedArrayMemory() {
        Backend.init();
        if (ResidentMemory.currentBytes() < 0 || !GlibcMalloc.trim()) {
            return; // not glibc on Linux: nothing to measure
        }
        List<INDArray> arrays = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            arrays.add(Nd4j.ones(DataType.FLOAT, 1 << 18)); // 1 MB each, below malloc's mmap threshold
        }
        long withArrays = ResidentMemory.currentBytes();
        arrays.forEach(INDArray::close);
        arrays.clear();
        GlibcMalloc.trim();
        long afterTrim = ResidentMemory.currentBytes();
        assertTrue(afterTrim < withArrays - (100L << 20), "trim gave back the 200 MB freed: " + withArrays + " -> " + afterTrim);
    }

    /** With the fixed threshold (Backend.init), a freed multi-megabyte array leaves at once, no trim needed. */
    @Test
    void arraysAboveTheFixedThresholdGoBackWhenFreed() {
        Backend.init();
        if (ResidentMemory.currentBytes() < 0 || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || !GlibcMalloc.fixMmapThreshold(GlibcMalloc.DEFAULT_MMAP_THRESHOLD)) {
            return; // not glibc on Linux, or the environment chose its own threshold
        }
        List<INDArray> arrays = new ArrayList<>();
        // Free one large array first: with glibc's sliding threshold that would raise it to 16 MB
        // and the arrays below would be carved from an arena, staying resident once freed.
        Nd4j.ones(DataType.FLOAT, 1 << 22).close();
        for (int i = 0; i < 40; i++) {
            arrays.add(Nd4j.ones(DataType.FLOAT, 3 << 20)); // 12 MB each
        }
        long withArrays = ResidentMemory.currentBytes();
        arrays.forEach(INDArray::close);
        arrays.clear();
        long afterFree = ResidentMemory.currentBytes();
        assertTrue(afterFree < withArrays - (400L << 20), "the 480 MB freed left without a trim: " + withArrays + " -> "
                + afterFree);
    }

    @Test
    void thresholdPropertyIsCheckedAndNamed() {
        assertThrows(IllegalArgumentException.class, () -> GlibcMalloc.fixMmapThreshold(-1));
        assertThrows(IllegalArgumentException.class, () -> GlibcMalloc.fixMmapThreshold(64L << 20));
        String before = System.getProperty(GlibcMalloc.MMAP_THRESHOLD_PROPERTY);
        try {
            System.setProperty(GlibcMalloc.MMAP_THRESHOLD_PROPERTY, "1m");
            assertEquals(1L << 20, GlibcMalloc.mmapThresholdFromProperty());
            System.setProperty(GlibcMalloc.MMAP_THRESHOLD_PROPERTY, "0");
            assertEquals(0, GlibcMalloc.mmapThresholdFromProperty());
            System.setProperty(GlibcMalloc.MMAP_THRESHOLD_PROPERTY, "huge");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    GlibcMalloc::mmapThresholdFromProperty);
            assertTrue(e.getMessage().contains(GlibcMalloc.MMAP_THRESHOLD_PROPERTY) && e.getMessage().contains("'huge'"));
        } finally {
            if (before == null) {
                System.clearProperty(GlibcMalloc.MMAP_THRESHOLD_PROPERTY);
            } else {
                System.setProperty(GlibcMalloc.MMAP_THRESHOLD_PROPERTY, before);
            }
        }
    }
}
