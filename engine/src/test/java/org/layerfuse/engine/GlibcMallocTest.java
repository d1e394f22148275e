package org.layerfuse.engine;

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
}
