package org.layerfuse.engine.kernels;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * {@code length} floats in {@code buffer} (element i at byte 4·i, in the buffer's byte order,
 * position 0), as made by {@link NdBuffers#floatView}. {@code zeroCopy} says whether the
 * buffer is the array's own memory or a copy. {@code owner} is whatever owns that memory (the
 * INDArray): the view holds it so that it is not freed while the view is in use; the
 * {@code FloatView} overloads of the kernels keep the view reachable until they return.
 */
public record FloatView(ByteBuffer buffer, int length, boolean zeroCopy, Object owner) {

    public FloatView {
        Objects.requireNonNull(buffer, "buffer");
        if (length < 0 || (long) length * Float.BYTES > buffer.limit()) {
            throw new IllegalArgumentException("FloatView: " + length + " floats do not fit a buffer of " + buffer.limit()
                    + " bytes");
        }
    }

    /** Element i. */
    public float get(int i) {
        return buffer.getFloat(Math.multiplyExact(Objects.checkIndex(i, length), Float.BYTES));
    }

    /** A heap copy of the elements. */
    public float[] toArray() {
        float[] a = new float[length];
        buffer.duplicate().order(buffer.order()).asFloatBuffer().get(a);
        return a;
    }
}
