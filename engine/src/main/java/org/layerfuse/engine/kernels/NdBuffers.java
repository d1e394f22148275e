package org.layerfuse.engine.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads ND4J arrays with the Vector API without copying where ND4J allows it.
 *
 * <p>What ND4J 1.0.0-M2.1 gives on the CPU backend: {@code array.data().asNio()} is a direct
 * {@link ByteBuffer} in native (little-endian on x86) order over the <em>whole</em> underlying
 * allocation, position 0, even for a view: a row or sub-array is found at element
 * {@code array.offset()} of it. An empty array has no buffer ({@code asNio()} is null).
 * The memory is freed when ND4J collects the array (or its workspace closes): the view holds
 * the array, so keep the view reachable while reading its buffer (the kernels' FloatView
 * overloads do).
 */
public final class NdBuffers {

    private NdBuffers() {
    }

    /**
     * The elements of {@code array} in C (row-major) order as a {@link FloatView}.
     * Zero-copy when the array is float32, on the CPU backend, and laid out C-contiguously
     * (strides of a row-major array of its shape, any offset: views such as rows,
     * row ranges, slices qualify); otherwise (other dtype, column-major or strided views such
     * as a transpose or a column range, CUDA) the elements are first copied by ND4J into a new
     * C-ordered float32 array ({@code castTo(FLOAT).dup('c')}), and the view says
     * {@code zeroCopy = false}.
     *
     * @throws IllegalArgumentException if the array has more than {@code Integer.MAX_VALUE / 4}
     *         elements (a ByteBuffer is indexed by int)
     */
    public static FloatView floatView(INDArray array) {
        long n = array.length();
        if (n > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("NdBuffers.floatView: array of " + n + " elements (shape "
                    + java.util.Arrays.toString(array.shape()) + ") exceeds the " + (Integer.MAX_VALUE / Float.BYTES)
                    + " floats a ByteBuffer can address; split it");
        }
        if (n == 0) {
            return new FloatView(ByteBuffer.allocate(0).order(ByteOrder.nativeOrder()), 0, true, array);
        }
        boolean direct = array.dataType() == DataType.FLOAT && Nd4j.getEnvironment().isCPU()
                && isCContiguous(array.shape(), array.stride());
        INDArray source = direct ? array : array.castTo(DataType.FLOAT).dup('c');
        ByteBuffer whole = source.data().asNio();
        long offset = source.offset();
        if (whole == null || !whole.isDirect() || (offset + n) * Float.BYTES > whole.capacity()) {
            throw new IllegalStateException("NdBuffers.floatView: ND4J returned no usable buffer for an array of shape "
                    + java.util.Arrays.toString(array.shape()) + " (offset " + offset + ", buffer "
                    + (whole == null ? "null" : whole.capacity() + " bytes") + ")");
        }
        ByteBuffer slice = whole.duplicate()
                .position(Math.toIntExact(offset * Float.BYTES))
                .limit(Math.toIntExact((offset + n) * Float.BYTES))
                .slice()
                .order(ByteOrder.nativeOrder());
        return new FloatView(slice, (int) n, direct, source);
    }

    /**
     * CRC-32C of an array's elements as float32 in C order (hardware-accelerated, one pass):
     * a fingerprint of model state for caches keyed by "the same weights".
     */
    public static long crc32c(INDArray array) {
        FloatView v = floatView(array);
        try {
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(v.buffer().duplicate());
            return crc.getValue();
        } finally {
            java.lang.ref.Reference.reachabilityFence(v);
        }
    }

    /** True when {@code stride} is the row-major stride of {@code shape} (dimensions of size 1 may have any stride). */
    static boolean isCContiguous(long[] shape, long[] stride) {
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
