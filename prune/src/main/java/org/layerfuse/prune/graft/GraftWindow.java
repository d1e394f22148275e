package org.layerfuse.prune.graft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The live blocks that absorb a removed block p: the G live blocks nearest to p, nearest first
 * (at equal distance the lower index first, so p−1 before p+1), G capped by the number of live
 * blocks.
 *
 * <p>The span is the index range {@code [first, last]} from the lowest to the highest of the
 * window's blocks and p. The teacher (p still live) and the student (p an identity) run the
 * same span on the same input, the hidden state entering {@code first}; every live block inside
 * the span is in the window, since it is nearer to p than the span's ends.
 *
 * @param removed the removed block p
 * @param layers  the window, nearest first
 * @param first   the lowest index of the span
 * @param last    the highest index of the span
 */
public record GraftWindow(int removed, int[] layers, int first, int last) {

    public GraftWindow {
        layers = layers.clone();
    }

    /**
     * The window around {@code removed} among the layers {@code live} marks (after the removal).
     *
     * @param size G, the number of neighbours wanted
     */
    public static GraftWindow around(boolean[] live, int removed, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("the graft window must hold at least 1 block, got " + size);
        }
        if (removed < 0 || removed >= live.length || live[removed]) {
            throw new IllegalArgumentException("layer " + removed + " must be a removed layer of the " + live.length
                    + "-layer model");
        }
        List<Integer> candidates = new ArrayList<>();
        for (int l = 0; l < live.length; l++) {
            if (live[l]) {
                candidates.add(l);
            }
        }
        candidates.sort(Comparator.<Integer>comparingInt(l -> Math.abs(l - removed)).thenComparingInt(l -> l));
        int[] window = candidates.stream().limit(size).mapToInt(Integer::intValue).toArray();
        int first = removed;
        int last = removed;
        for (int l : window) {
            first = Math.min(first, l);
            last = Math.max(last, l);
        }
        return new GraftWindow(removed, window, first, last);
    }

    /** The window's blocks in index order: the order the span runs them. */
    public int[] ascending() {
        int[] a = layers.clone();
        Arrays.sort(a);
        return a;
    }

    /** The block whose output enters the span: the highest live block below {@code first}, or −1 (the embeddings). */
    public int inputLayer(boolean[] live) {
        for (int l = first - 1; l >= 0; l--) {
            if (live[l]) {
                return l;
            }
        }
        return -1;
    }

    public boolean isEmpty() {
        return layers.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GraftWindow w && removed == w.removed && first == w.first && last == w.last
                && Arrays.equals(layers, w.layers);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(layers) + removed;
    }

    @Override
    public String toString() {
        return "GraftWindow[removed=" + removed + ", layers=" + Arrays.toString(layers) + ", span=" + first + ".."
                + last + "]";
    }
}
