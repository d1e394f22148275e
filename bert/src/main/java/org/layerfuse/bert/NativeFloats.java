package org.layerfuse.bert;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The floats of a C-ordered float32 ND4J array on the CPU, read and written in place through
 * a {@link FloatBuffer} over its native memory (ND4J's buffer covers the whole allocation, so
 * a view starts at {@link INDArray#offset()}). The caller keeps the array reachable while it
 * uses the buffer: ND4J frees the memory when the array is collected.
 */
public final class NativeFloats {

    private NativeFloats() {
    }

    /**
     * The buffer and the element index where {@code array} starts in it; {@code bytes} is the
     * same memory as bytes in native order (float i of the array at byte 4·(start + i)), for
     * the Vector-API kernels that read native memory directly.
     */
    public record Span(FloatBuffer buffer, int start, ByteBuffer bytes) {
        public void read(int from, float[] dst, int dstOff, int length) {
            buffer.get(start + from, dst, dstOff, length);
        }

        public void write(int to, float[] src, int srcOff, int length) {
            buffer.put(start + to, src, srcOff, length);
        }
    }

    /** Whether {@link #of} accepts {@code array}: C-ordered float32 on the CPU backend. */
    public static boolean accepts(INDArray array) {
        return array.dataType() == DataType.FLOAT && Nd4j.getEnvironment().isCPU() && isCContiguous(array);
    }

    public static Span of(INDArray array, String what) {
        if (!accepts(array)) {
            throw new IllegalArgumentException(what + " must be a C-ordered float32 array on the CPU backend, got "
                    + array.dataType() + " " + java.util.Arrays.toString(array.shape()) + " order " + array.ordering()
                    + " strides " + java.util.Arrays.toString(array.stride()));
        }
        ByteBuffer bytes = array.data().asNio().order(ByteOrder.nativeOrder());
        return new Span(bytes.asFloatBuffer(), Math.toIntExact(array.offset()), bytes);
    }

    /**
     * The values of {@code array} in row-major order as a Java array: read straight from the
     * native buffer when {@link #accepts} it, else through a copy that is closed at once.
     * ({@code INDArray.toFloatVector()} duplicates the array and leaves the copy to the
     * garbage collector, which pins native memory for hundreds of small parameters a call.)
     */
    public static float[] toArray(INDArray array) {
        float[] v = new float[Math.toIntExact(array.length())];
        if (accepts(array)) {
            of(array, "array").read(0, v, 0, v.length);
            java.lang.ref.Reference.reachabilityFence(array);
            return v;
        }
        try (INDArray copy = array.dup('c')) {
            return copy.data().asFloat();
        }
    }

    private static boolean isCContiguous(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }
}
