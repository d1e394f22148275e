package org.layerfuse.bert.graph;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.GlibcMalloc;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GraphsTest {

    private static final int ARRAYS = 8;
    private static final long ELEMENTS = 1 << 20; // 4 MiB of float32 each, 32 MiB in all
    private static final int BUILDS = 5;

    /** Native bytes malloc handed out (every ND4J buffer on the CPU backend) while building. */
    private static long bytesAllocatedBuilding(Supplier<SameDiff> factory, List<INDArray> arrays) {
        SameDiff sd = factory.get();
        long before = GlibcMalloc.allocatedBytes();
        for (int i = 0; i < arrays.size(); i++) {
            sd.var("w" + i, arrays.get(i));
        }
        for (int i = 0; i < arrays.size(); i++) {
            sd.constant("c" + i, arrays.get(i));
        }
        long grown = GlibcMalloc.allocatedBytes() - before;
        for (int i = 0; i < arrays.size(); i++) {
            assertSame(arrays.get(i), sd.getVariable("w" + i).getArr(), "variable w" + i + " is the caller's array");
        }
        return grown;
    }

    @Test
    void variablesAndConstantsAreHeldWithoutACopy() {
        Backend.init();
        assumeTrue(GlibcMalloc.allocatedBytes() >= 0, "needs glibc's mallinfo2 to count native allocations");
        List<INDArray> arrays = new ArrayList<>();
        for (int i = 0; i < ARRAYS; i++) {
            arrays.add(Nd4j.rand(DataType.FLOAT, ELEMENTS));
        }
        long bytes = ARRAYS * ELEMENTS * 4;
        // The control: SameDiff's default holder copies each array once more (what the fix is for).
        long defaultGrowth = bytesAllocatedBuilding(SameDiff::create, arrays);
        assertTrue(defaultGrowth >= bytes, "SameDiff.create() copied " + defaultGrowth + " bytes of " + bytes
                + ": the default holder no longer copies, so Graphs may be unnecessary");
        // mallinfo2 counts the whole process: a thread elsewhere (the deallocator, a JIT compile) can
        // allocate a few hundred KiB during one build, so take the least of a few builds. A copy would
        // show 32 MiB in every one of them.
        long growth = Long.MAX_VALUE;
        for (int attempt = 0; attempt < BUILDS; attempt++) {
            growth = Math.min(growth, bytesAllocatedBuilding(Graphs::create, arrays));
        }
        System.out.println("building 8 variables and 8 constants of " + bytes + " bytes allocated " + defaultGrowth
                + " bytes with SameDiff.create(), " + growth + " with Graphs.create()");
        assertTrue(growth < bytes / 100, "Graphs.create() allocated " + growth + " bytes for " + bytes
                + " bytes of variables and constants");
    }
}
