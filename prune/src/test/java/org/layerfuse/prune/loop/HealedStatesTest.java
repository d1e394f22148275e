package org.layerfuse.prune.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.TinyTask;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Healed states on disk: restored bit for bit, evicted by budget, nothing left behind. */
class HealedStatesTest {

    private static long stateBytes(BertModel m) {
        long b = 0;
        for (INDArray a : m.parameters().values()) {
            b += a.length() * a.dataType().width();
        }
        return b;
    }

    /** Raw bytes of every parameter, compared exactly (not INDArray.equals, which allows 1e-5). */
    private static void assertBitwiseEqual(BertModel expected, BertModel actual) {
        assertEquals(expected.parameters().keySet(), actual.parameters().keySet());
        for (Map.Entry<String, INDArray> e : expected.parameters().entrySet()) {
            INDArray x = e.getValue().dup('c');
            INDArray y = actual.parameter(e.getKey()).dup('c');
            assertEquals(x.dataType(), y.dataType(), e.getKey());
            assertArrayEquals(x.shape(), y.shape(), e.getKey());
            long n = x.length() * x.dataType().width();
            byte[] a = new byte[(int) n];
            byte[] b = new byte[(int) n];
            ByteBuffer.wrap(a).put(x.data().asNio().duplicate().position(0).limit((int) n));
            ByteBuffer.wrap(b).put(y.data().asNio().duplicate().position(0).limit((int) n));
            assertArrayEquals(a, b, e.getKey() + " bit for bit");
        }
    }

    @Test
    void aStateComesBackBitForBitInBothPrecisions(@TempDir Path dir) {
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            BertModel healed = BertModel.random(TinyTask.CONFIG, 11, dtype);
            healed.removeLayer(2);
            BertModel other = BertModel.random(TinyTask.CONFIG, 12, dtype);
            other.removeLayer(2);
            try (HealedStates states = new HealedStates(dir.resolve(dtype.name()), 1L << 30)) {
                states.put("k", healed.parameters(), "healed 3 steps");
                assertEquals("healed 3 steps", states.restore("k", other));
                assertBitwiseEqual(healed, other);
                assertNull(states.restore("unknown", other));
            }
        }
    }

    @Test
    void leastRecentlyUsedStatesLeaveBeyondTheBudgetAndCloseDeletesTheFolder(@TempDir Path dir) throws IOException {
        BertModel m = BertModel.random(TinyTask.CONFIG, 3, DataType.FLOAT);
        long one = stateBytes(m);
        Path folder = dir.resolve("cache");
        try (HealedStates states = new HealedStates(folder, 2 * one)) {
            states.put("a", m.parameters(), "a");
            states.put("b", m.parameters(), "b");
            assertEquals("a", states.restore("a", m)); // a is now the most recently used
            states.put("c", m.parameters(), "c");
            assertEquals(2, states.size());
            assertNull(states.restore("b", m), "b was the least recently used");
            assertEquals("a", states.restore("a", m));
            assertEquals("c", states.restore("c", m));
            try (Stream<Path> files = Files.list(folder)) {
                assertEquals(2, files.count(), "one file per kept state, no temporary file");
            }
        }
        assertFalse(Files.exists(folder), "close deletes the scratch folder");
    }

    @Test
    void aZeroBudgetKeepsNothingAndAStaleFolderIsEmptiedOnOpen(@TempDir Path dir) throws IOException {
        Path folder = dir.resolve("cache");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("state-0.bin.part"), "left by a killed run");
        BertModel m = BertModel.random(TinyTask.CONFIG, 3, DataType.FLOAT);
        try (HealedStates states = new HealedStates(folder, 0)) {
            assertFalse(Files.exists(folder.resolve("state-0.bin.part")));
            states.put("a", m.parameters(), "a");
            assertEquals(0, states.size());
            assertNull(states.restore("a", m));
        }
    }

    @Test
    void restoringIntoAModelOfAnotherShapeNamesTheParameter(@TempDir Path dir) {
        BertModel small = BertModel.random(TinyTask.CONFIG, 3, DataType.FLOAT);
        BertModel wide = BertModel.random(new org.layerfuse.bert.BertConfig(40, 48, 4, 4, 64,
                TinyTask.CONFIG.hiddenAct(), 16, 2, 1e-12, -10000.0, TinyTask.CONFIG.labels()), 3, DataType.FLOAT);
        try (HealedStates states = new HealedStates(dir.resolve("c"), 1L << 30)) {
            states.put("a", small.parameters(), "a");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> states.restore("a", wide));
            assertTrue(e.getMessage().contains("parameter ") && e.getMessage().contains("in the model"), e.getMessage());
        }
    }
}
