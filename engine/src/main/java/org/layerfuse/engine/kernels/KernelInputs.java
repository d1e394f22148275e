package org.layerfuse.engine.kernels;

import java.nio.ByteBuffer;

/**
 * Argument checks shared by the kernels, and the NaN policy: <b>NaN inputs are rejected</b>
 * with an {@link IllegalArgumentException} that names the kernel and the index of the first
 * NaN. The vector loops do not test every element: a NaN propagates into the (floating-point)
 * result for free, and only then is the input scanned to find it. Infinities are not NaN and
 * follow IEEE arithmetic (so {@code +Inf} and {@code -Inf} together give a NaN sum, which is
 * returned as is).
 */
final class KernelInputs {

    private KernelInputs() {
    }

    static void checkRange(String kernel, int arrayLength, int from, int length) {
        if (from < 0 || length < 0 || from > arrayLength - length) {
            throw new IllegalArgumentException(kernel + ": range [" + from + ", " + from + " + " + length
                    + ") is outside the input of length " + arrayLength);
        }
    }

    /** Checks a range given in float elements against a buffer of float elements read at byte index 4·i. */
    static void checkRange(String kernel, ByteBuffer buffer, int from, int length) {
        if (buffer == null) {
            throw new IllegalArgumentException(kernel + ": buffer is null");
        }
        checkRange(kernel, buffer.limit() / Float.BYTES, from, length);
    }

    static void checkEps(String kernel, float eps) {
        if (!(eps > 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(kernel + ": eps must be finite and > 0 (so that p = 0 adds 0·log(eps) = 0), got "
                    + eps);
        }
    }

    /** Throws if {@code a[from, from+length)} holds a NaN; returns normally otherwise. */
    static void rejectNaN(String kernel, float[] a, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (Float.isNaN(a[i])) {
                throw nanAt(kernel, i);
            }
        }
    }

    /** Same for floats at byte index 4·i of {@code buffer} (in the buffer's byte order). */
    static void rejectNaN(String kernel, ByteBuffer buffer, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (Float.isNaN(buffer.getFloat(i * Float.BYTES))) {
                throw nanAt(kernel, i);
            }
        }
    }

    static IllegalArgumentException nanAt(String kernel, long index) {
        return new IllegalArgumentException(kernel + ": input holds NaN at index " + index
                + " (NaN inputs are rejected; check the activations or gradients that produced it)");
    }
}
