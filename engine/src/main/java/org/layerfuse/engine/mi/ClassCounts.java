package org.layerfuse.engine.mi;

/** Samples per class label. */
final class ClassCounts {

    private ClassCounts() {
    }

    /** counts[c] = #{i : labels[i] == c}, for c up to the largest label. */
    static int[] of(int[] labels) {
        int max = -1;
        for (int label : labels) {
            max = Math.max(max, label);
        }
        int[] counts = new int[max + 1];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }
}
