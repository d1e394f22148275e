package org.layerfuse.weights.safetensors;

import java.util.Arrays;

/**
 * One tensor of a safetensors file as its header describes it.
 *
 * @param begin first byte, relative to the start of the data buffer (after the header)
 * @param end   one past the last byte
 */
public record SafetensorsEntry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {

    public SafetensorsEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
