package org.layerfuse.weights.onnx;

/**
 * ONNX {@code TensorProto.DataType}: the code stored in a file and the width of one element.
 * Widths are in bits because INT4/UINT4/FLOAT4 pack two elements per byte.
 */
public enum OnnxDataType {
    FLOAT(1, 32), UINT8(2, 8), INT8(3, 8), UINT16(4, 16), INT16(5, 16), INT32(6, 32), INT64(7, 64),
    STRING(8, 0), BOOL(9, 8), FLOAT16(10, 16), DOUBLE(11, 64), UINT32(12, 32), UINT64(13, 64),
    COMPLEX64(14, 64), COMPLEX128(15, 128), BFLOAT16(16, 16), FLOAT8E4M3FN(17, 8), FLOAT8E4M3FNUZ(18, 8),
    FLOAT8E5M2(19, 8), FLOAT8E5M2FNUZ(20, 8), UINT4(21, 4), INT4(22, 4), FLOAT4E2M1(23, 4);

    private final int code;
    private final int bits;

    OnnxDataType(int code, int bits) {
        this.code = code;
        this.bits = bits;
    }

    public int code() {
        return code;
    }

    /** Bytes that {@code count} elements occupy in {@code raw_data}; strings have no fixed width. */
    public long byteSize(long count) {
        if (this == STRING) {
            throw new IllegalStateException("STRING tensors have no fixed element width");
        }
        return Math.addExact(Math.multiplyExact(count, bits), 7) / 8;
    }

    /** The type with this code, or null for a code this reader does not know. */
    public static OnnxDataType ofCode(long code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
