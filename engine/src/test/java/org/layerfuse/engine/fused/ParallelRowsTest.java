package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelRowsTest {

    @Test
    void everyRowRunsExactlyOnce() {
        for (int rows : new int[] {0, 1, 7, 1000, 1001}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(rows);
            ParallelRows.run(rows, 3, (from, to) -> {
                for (int r = from; r < to; r++) {
                    seen.incrementAndGet(r);
                }
            });
            for (int r = 0; r < rows; r++) {
                assertEquals(1, seen.get(r), "row " + r + " of " + rows);
            }
        }
    }

    @Test
    void aFailingBlockFailsTheCall() {
        assertThrows(IllegalStateException.class, () -> ParallelRows.run(100, 1, (from, to) -> {
            if (to == 100) {
                throw new IllegalStateException("block " + from);
            }
        }));
    }
}
