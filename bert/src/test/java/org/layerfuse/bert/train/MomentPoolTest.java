package org.layerfuse.bert.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.NativeMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Moment arrays handed from one optimizer to the next: cleared, bounded, freed by a trim, same updates. */
class MomentPoolTest {

    @AfterEach
    void empty() {
        MomentPool.clear();
    }

    @Test
    void aGivenBackArrayIsReusedCleared() {
        Backend.init();
        INDArray p = Nd4j.rand(DataType.FLOAT, 5, 7);
        INDArray m = MomentPool.zerosLike(p);
        m.assign(3.5);
        MomentPool.giveBack(m);
        assertEquals(5 * 7 * 4, MomentPool.spareBytes());
        INDArray again = MomentPool.zerosLike(p);
        assertSame(m, again, "the spare array of that shape and type is handed out");
        assertArrayEquals(new byte[5 * 7 * 4], again.data().asBytes(), "cleared to +0.0f, byte for byte");
        assertEquals(0, MomentPool.spareBytes());
        INDArray other = MomentPool.zerosLike(Nd4j.rand(DataType.FLOAT, 7, 5));
        assertNotSame(m, other, "another shape gets a new array");
        assertArrayEquals(new byte[5 * 7 * 4], other.data().asBytes());
    }

    @Test
    void viewsAndArraysOverTheBudgetAreFreedNotKept() {
        Backend.init();
        INDArray whole = Nd4j.rand(DataType.FLOAT, 4, 8);
        MomentPool.giveBack(whole.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2),
                org.nd4j.linalg.indexing.NDArrayIndex.all()));
        assertEquals(0, MomentPool.spareBytes());
        long n = MomentPool.MAX_BYTES / 4 + 1;
        INDArray big = Nd4j.create(DataType.FLOAT, n);
        MomentPool.giveBack(big);
        assertEquals(0, MomentPool.spareBytes());
        assertTrue(big.wasClosed(), "an array over the budget is freed at once");
    }

    @Test
    void anOptimizerWhoseMomentsDoNotAllFitKeepsNone() {
        Backend.init();
        long rows = MomentPool.MAX_BYTES / 4 / 1024 / 3 + 1; // two such arrays fit, three do not
        INDArray a = Nd4j.create(DataType.FLOAT, rows, 1024);
        INDArray b = Nd4j.create(DataType.FLOAT, rows, 1024);
        INDArray c = Nd4j.create(DataType.FLOAT, rows, 1024);
        MomentPool.giveBackAll(java.util.List.of(a, b, c));
        assertEquals(0, MomentPool.spareBytes(), "no part of a set that does not fit is kept");
        assertTrue(a.wasClosed() && b.wasClosed() && c.wasClosed());
        INDArray d = Nd4j.create(DataType.FLOAT, rows, 1024);
        INDArray e = Nd4j.create(DataType.FLOAT, rows, 1024);
        MomentPool.giveBackAll(java.util.List.of(d, e));
        assertEquals(2 * rows * 1024 * 4, MomentPool.spareBytes());
    }

    @Test
    void aTrimFreesTheSpareArrays() {
        Backend.init();
        INDArray m = Nd4j.rand(DataType.FLOAT, 3, 3);
        MomentPool.giveBack(m);
        assertTrue(MomentPool.spareBytes() > 0);
        NativeMemory.trim();
        assertEquals(0, MomentPool.spareBytes());
        assertTrue(m.wasClosed());
    }

    @Test
    void anOptimizerOnReusedMomentsUpdatesBitForBitAsOnNewOnes() {
        Backend.init();
        INDArray start = Nd4j.rand(DataType.FLOAT, 64, 48).subi(0.5);
        INDArray grad = Nd4j.rand(DataType.FLOAT, 64, 48).subi(0.5);
        byte[] fresh = train(start, grad);
        // leave moments with other values in the pool, then train again from the same start
        AdamW dirty = new AdamW(AdamW.Hyper.defaults(), name -> true);
        Map<String, INDArray> p = Map.of("w", Nd4j.rand(DataType.FLOAT, 64, 48));
        dirty.step(p, Map.of("w", Nd4j.rand(DataType.FLOAT, 64, 48)), 0.1);
        dirty.free();
        assertTrue(MomentPool.spareBytes() > 0);
        assertArrayEquals(fresh, train(start, grad));
    }

    private static byte[] train(INDArray start, INDArray grad) {
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("w", start.dup());
        AdamW adam = new AdamW(AdamW.Hyper.defaults(), name -> true);
        for (int t = 0; t < 3; t++) {
            adam.step(params, Map.of("w", grad.mul(t + 1)), 1e-3);
        }
        adam.free();
        return params.get("w").data().asBytes();
    }
}
