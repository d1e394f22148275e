package org.layerfuse.engine.kernels;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * {@code length} floats of an ND4J array (or of a copy of it), as made by
 * {@link NdBuffers#floatView}: element i at byte 4·i of a direct buffer in native order.
 * {@link #zeroCopy()} says whether it is the array's own memory.
 *
 * <p>The buffer is deliberately not public. ND4J frees an array's memory once the array is
 * garbage-collected, and a direct buffer made over that memory does not keep the array alive:
 * code holding only the buffer would read freed memory (a JVM crash, seen in testing). So the
 * view holds the array, and everything that reads the buffer — {@link BufferKernels},
 * {@link RowEntropy} and {@link GradientAccumulator} overloads taking a FloatView, {@link #get},
 * {@link #toArray} — keeps the view reachable until it is done.
 */
public final class FloatView {

    private final ByteBuffer buffer;
    private final int length;
    private final boolean zeroCopy;
    private final Object owner;

    FloatView(ByteBuffer buffer, int length, boolean zeroCopy, Object owner) {
        this.buffer = Objects.requireNonNull(buffer, "buffer");
        if (length < 0 || (long) length * Float.BYTES > buffer.limit()) {
            throw new IllegalArgumentException("FloatView: " + length + " floats do not fit a buffer of " + buffer.limit()
                    + " bytes");
        }
        this.length = length;
        this.zeroCopy = zeroCopy;
        this.owner = owner;
    }

    /** The floats, for kernels of this package; callers fence the view while they read it. */
    ByteBuffer buffer() {
        return buffer;
    }

    public int length() {
        return length;
    }

    /** True when the view reads the array's memory in place, false when it reads a copy. */
    public boolean zeroCopy() {
        return zeroCopy;
    }

    /** Element i. */
    public float get(int i) {
        try {
            return buffer.getFloat(Math.multiplyExact(Objects.checkIndex(i, length), Float.BYTES));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A heap copy of the elements. */
    public float[] toArray() {
        try {
            float[] a = new float[length];
            buffer.duplicate().order(buffer.order()).asFloatBuffer().get(a);
            return a;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public String toString() {
        return "FloatView[length=" + length + ", zeroCopy=" + zeroCopy + ", owner=" + owner.getClass().getSimpleName() + "]";
    }
}
