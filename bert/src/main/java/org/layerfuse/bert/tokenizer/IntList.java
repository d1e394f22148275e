package org.layerfuse.bert.tokenizer;

import java.util.Arrays;

/** A growable array of ints: the word-piece ids of one text, without boxing. */
final class IntList {

    private int[] values = new int[32];
    private int size;

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    int size() {
        return size;
    }

    int get(int i) {
        return values[i];
    }

    /** Drops all values from index {@code n} on. */
    void truncate(int n) {
        size = Math.min(size, n);
    }

    /** Copies the first {@code n} values into {@code dest} at {@code offset}. */
    void copyTo(int n, int[] dest, int offset) {
        System.arraycopy(values, 0, dest, offset, n);
    }
}
