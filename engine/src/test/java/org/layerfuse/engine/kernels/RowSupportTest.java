package org.layerfuse.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RowSupportTest {

    @Test
    void rowsAreSortedDistinctAndTheirUnionIsBoth() {
        RowSupport a = RowSupport.of(4, new int[] {7, 2, 7, 0});
        assertArrayEquals(new int[] {0, 2, 7}, a.rows());
        assertEquals(32, a.end(), "past row 7 of 4 floats");
        RowSupport b = RowSupport.of(4, new int[] {3, 2});
        assertArrayEquals(new int[] {0, 2, 3, 7}, a.union(b).rows());
        assertEquals(0, RowSupport.of(4, new int[0]).end());
        assertTrue(a.fits(8, 4) && !a.fits(7, 4) && !a.fits(8, 5), "rows 0–7 of 4 floats");
        assertThrows(IllegalArgumentException.class, () -> a.union(RowSupport.of(5, new int[] {1})));
        assertThrows(IllegalArgumentException.class, () -> RowSupport.of(0, new int[] {1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowSupport.of(3, new int[] {2, -1}));
        assertTrue(e.getMessage().contains("row -1"), e.getMessage());
    }

    /** zeroBetween against a float-by-float scan of which rows the range meets. */
    @Test
    void zeroBetweenIsTrueExactlyWhereNoSupportedRowIsMet() {
        SplittableRandom r = new SplittableRandom(3);
        for (int rowLength : new int[] {1, 5, 384}) {
            int rows = 60;
            boolean[] in = new boolean[rows];
            int[] picked = r.ints(12, 0, rows).toArray();
            for (int p : picked) {
                in[p] = true;
            }
            RowSupport s = RowSupport.of(rowLength, picked);
            long n = (long) rows * rowLength;
            for (int k = 0; k < 2000; k++) {
                long from = r.nextLong(n + 1);
                long to = from + r.nextLong(3 * rowLength + 2);
                boolean zero = true;
                for (long i = from; i < Math.min(to, n); i++) {
                    zero &= !in[(int) (i / rowLength)];
                }
                assertEquals(zero, s.zeroBetween(from, to), "rows of " + rowLength + ", [" + from + ", " + to + ")");
            }
        }
    }
}
