package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResidentMemoryTest {

    @Test
    void parsesKilobyteFieldsOfProcStatus() {
        List<String> status = List.of("Name:\tjava", "VmHWM:\t  123456 kB", "VmRSS:\t   65432 kB", "Threads:\t12");
        assertEquals(123456L * 1024, ResidentMemory.parse(status, "VmHWM:"));
        assertEquals(65432L * 1024, ResidentMemory.parse(status, "VmRSS:"));
        assertEquals(-1, ResidentMemory.parse(status, "VmSwap:"));
    }

    @Test
    void touchingMemoryRaisesTheReadingsOnLinux() {
        if (ResidentMemory.currentBytes() < 0) {
            return; // not Linux: nothing to read
        }
        long before = ResidentMemory.currentBytes();
        ByteBuffer block = ByteBuffer.allocateDirect(256 << 20);
        for (int i = 0; i < block.capacity(); i += 4096) {
            block.put(i, (byte) 1);
        }
        long now = ResidentMemory.currentBytes();
        long peak = ResidentMemory.peakBytes();
        assertTrue(now >= before + (200L << 20), "resident memory rose by the touched 256 MB: " + before + " -> " + now);
        assertTrue(peak >= now, "peak " + peak + " >= current " + now);
        assertEquals("1.50 GB", ResidentMemory.format(1_500_000_000L));
        assertEquals("unknown", ResidentMemory.format(-1));
    }
}
