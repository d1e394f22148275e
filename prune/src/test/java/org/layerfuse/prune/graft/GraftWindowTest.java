package org.layerfuse.prune.graft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GraftWindowTest {

    private static boolean[] live(int layers, int... removed) {
        boolean[] l = new boolean[layers];
        java.util.Arrays.fill(l, true);
        for (int r : removed) {
            l[r] = false;
        }
        return l;
    }

    @Test
    void nearestFirstWithTiesToTheLowerIndex() {
        GraftWindow w = GraftWindow.around(live(12, 5), 5, 4);
        assertArrayEquals(new int[] {4, 6, 3, 7}, w.layers());
        assertEquals(3, w.first());
        assertEquals(7, w.last());
        assertArrayEquals(new int[] {3, 4, 6, 7}, w.ascending());
        assertEquals(2, w.inputLayer(live(12, 5)));
    }

    @Test
    void removedNeighboursAreSkippedAndTheSpanCoversTheRemovedBlock() {
        // 0 and 1 removed earlier, 2 removed now: nearest live are 3, 4, 5
        boolean[] l = live(6, 0, 1, 2);
        GraftWindow w = GraftWindow.around(l, 2, 3);
        assertArrayEquals(new int[] {3, 4, 5}, w.layers());
        assertEquals(2, w.first(), "the span starts at the removed block, which the teacher runs");
        assertEquals(5, w.last());
        assertEquals(-1, w.inputLayer(l), "nothing live below: the span's input is the embeddings");
        // the top block removed: the span ends at it
        GraftWindow top = GraftWindow.around(live(6, 5), 5, 2);
        assertArrayEquals(new int[] {4, 3}, top.layers());
        assertEquals(5, top.last());
        assertEquals(2, top.inputLayer(live(6, 5)));
    }

    @Test
    void windowIsCappedByTheLiveDepth() {
        GraftWindow w = GraftWindow.around(live(6, 2), 2, 7);
        assertArrayEquals(new int[] {1, 3, 0, 4, 5}, w.layers());
        assertEquals(0, w.first());
        assertEquals(5, w.last());
        // every live block inside the span is in the window
        for (int l = w.first(); l <= w.last(); l++) {
            int layer = l;
            assertTrue(l == 2 || java.util.Arrays.stream(w.layers()).anyMatch(x -> x == layer), "layer " + l);
        }
        assertTrue(GraftWindow.around(live(2, 0, 1), 1, 3).isEmpty());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GraftWindow.around(live(4, 1), 2, 3), "2 is live");
        assertThrows(IllegalArgumentException.class, () -> GraftWindow.around(live(4, 1), 1, 0));
        assertThrows(IllegalArgumentException.class, () -> GraftWindow.around(live(4, 1), 7, 1));
    }
}
