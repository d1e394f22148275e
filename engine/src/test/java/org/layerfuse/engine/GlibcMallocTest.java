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

    /** Minor page faults of this process so far (/proc/self/stat field 10), −1 where unreadable. */
    private static long minorFaults() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]); // fields after the name start at field 3; minflt is field 10
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * With the trim threshold Backend.init sets, a block below the mmap threshold that is
     * malloc'ed, written and freed again and again (as oneDNN's packing buffers are at every
     * matrix product) reuses the arena's pages: at glibc's frozen 128 KB the arena's top was cut
     * back at each free and each new block faulted its 1024 pages in again (50 rounds: ≈ 51 000).
     */
    @Test
    void aFreedBlockBelowTheMmapThresholdKeepsItsPagesForTheNext() {
        Backend.init();
        if (minorFaults() < 0 || System.getenv("MALLOC_TRIM_THRESHOLD_") != null
                || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || !GlibcMalloc.fixTrimThreshold(GlibcMalloc.trimThresholdFromProperty(GlibcMalloc.DEFAULT_MMAP_THRESHOLD))) {
            return; // not glibc on Linux, or the environment chose its own thresholds
        }
        com.sun.jna.NativeLibrary c = com.sun.jna.NativeLibrary.getInstance("c");
        com.sun.jna.Function malloc = c.getFunction("malloc");
        com.sun.jna.Function free = c.getFunction("free");
        long bytes = 4L << 20;
        Runnable round = () -> {
            com.sun.jna.Pointer p = malloc.invokePointer(new Object[] {bytes});
            p.setMemory(0, bytes, (byte) 1);
            free.invokeVoid(new Object[] {p});
        };
        for (int i = 0; i < 5; i++) {
            round.run();
        }
        long before = minorFaults();
        for (int i = 0; i < 50; i++) {
            round.run();
        }
        long faults = minorFaults() - before;
        assertTrue(faults < 5_000, "50 blocks of 4 MB malloc'ed, written and freed faulted " + faults
                + " pages in (one block: 1024)");
    }

    @Test
    void trimThresholdPropertyIsCheckedAndNamed() {
        assertThrows(IllegalArgumentException.class, () -> GlibcMalloc.fixTrimThreshold(-1));
        String before = System.getProperty(GlibcMalloc.TRIM_THRESHOLD_PROPERTY);
        try {
            System.clearProperty(GlibcMalloc.TRIM_THRESHOLD_PROPERTY);
            assertEquals(16L << 20, GlibcMalloc.trimThresholdFromProperty(8L << 20), "default: twice the mmap threshold");
            assertEquals(0, GlibcMalloc.trimThresholdFromProperty(0), "glibc's sliding thresholds stay glibc's");
            System.setProperty(GlibcMalloc.TRIM_THRESHOLD_PROPERTY, "64m");
            assertEquals(64L << 20, GlibcMalloc.trimThresholdFromProperty(8L << 20));
            System.setProperty(GlibcMalloc.TRIM_THRESHOLD_PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GlibcMalloc.trimThresholdFromProperty(8L << 20));
            assertTrue(e.getMessage().contains(GlibcMalloc.TRIM_THRESHOLD_PROPERTY) && e.getMessage().contains("'lots'"),
                    e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(GlibcMalloc.TRIM_THRESHOLD_PROPERTY);
            } else {
                System.setProperty(GlibcMalloc.TRIM_THRESHOLD_PROPERTY, before);
            }
        }
    }
}
