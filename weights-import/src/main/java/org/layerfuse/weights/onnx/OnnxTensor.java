package org.layerfuse.weights.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One ONNX tensor (an initializer or a {@code Constant} value): its elements as little-endian
 * bytes, as ONNX stores {@code raw_data}. For an initializer of a memory-mapped model the bytes
 * are a view of the file, so nothing is copied until {@link #floats()} or {@link #longs()}.
 *
 * @param source the file the tensor was read from, for error messages
 */
public record OnnxTensor(String name, OnnxDataType type, long[] dims, ByteBuffer data, String source) {

    public OnnxTensor {
        dims = dims.clone();
        long count = elementCount(dims);
        if (type != OnnxDataType.STRING && data.remaining() != type.byteSize(count)) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' of type " + type + " and shape "
                    + Arrays.toString(dims) + " needs " + type.byteSize(count) + " bytes, has " + data.remaining());
        }
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Product of the dimensions (1 for a scalar). */
    public static long elementCount(long[] dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long elementCount() {
        return elementCount(dims);
    }

    public int rank() {
        return dims.length;
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** The elements of a FLOAT tensor. */
    public float[] floats() {
        require(OnnxDataType.FLOAT);
        float[] out = new float[arrayLength()];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** The elements of an INT64 or INT32 tensor, as longs. */
    public long[] longs() {
        long[] out = new long[arrayLength()];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (type == OnnxDataType.INT64) {
            b.asLongBuffer().get(out);
        } else if (type == OnnxDataType.INT32) {
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getInt(4 * i);
            }
        } else {
            throw wrongType("INT64 or INT32");
        }
        return out;
    }

    /** The value of a one-element FLOAT, DOUBLE, INT64 or INT32 tensor (a graph constant). */
    public double scalar() {
        if (elementCount() != 1) {
            throw new IllegalStateException(source + ": tensor '" + name + "' has shape " + Arrays.toString(dims)
                    + ", expected a single value");
        }
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return switch (type) {
            case FLOAT -> b.getFloat(0);
            case DOUBLE -> b.getDouble(0);
            case INT64 -> b.getLong(0);
            case INT32 -> b.getInt(0);
            default -> throw wrongType("FLOAT, DOUBLE, INT64 or INT32");
        };
    }

    private int arrayLength() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(source + ": tensor '" + name + "' has " + n
                    + " elements, more than a Java array holds");
        }
        return (int) n;
    }

    private void require(OnnxDataType expected) {
        if (type != expected) {
            throw wrongType(expected.name());
        }
    }

    private IllegalStateException wrongType(String expected) {
        return new IllegalStateException(source + ": tensor '" + name + "' has data type " + type + ", expected "
                + expected);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxTensor t && name.equals(t.name) && type == t.type && Arrays.equals(dims, t.dims)
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return "OnnxTensor[" + name + " " + type + Arrays.toString(dims) + "]";
    }
}
