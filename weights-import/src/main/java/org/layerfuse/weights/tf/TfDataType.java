package org.layerfuse.weights.tf;

/**
 * TensorFlow's {@code DataType} enum (tensorflow/core/framework/types.proto) with each type's
 * byte width in a checkpoint; 0 for types stored with variable length (strings, resources,
 * variants), whose byte count cannot be checked against the shape.
 */
public enum TfDataType {
    DT_INVALID(0, 0), DT_FLOAT(1, 4), DT_DOUBLE(2, 8), DT_INT32(3, 4), DT_UINT8(4, 1), DT_INT16(5, 2),
    DT_INT8(6, 1), DT_STRING(7, 0), DT_COMPLEX64(8, 8), DT_INT64(9, 8), DT_BOOL(10, 1), DT_QINT8(11, 1),
    DT_QUINT8(12, 1), DT_QINT32(13, 4), DT_BFLOAT16(14, 2), DT_QINT16(15, 2), DT_QUINT16(16, 2),
    DT_UINT16(17, 2), DT_COMPLEX128(18, 16), DT_HALF(19, 2), DT_RESOURCE(20, 0), DT_VARIANT(21, 0),
    DT_UINT32(22, 4), DT_UINT64(23, 8);

    private final int code;
    private final int byteWidth;

    TfDataType(int code, int byteWidth) {
        this.code = code;
        this.byteWidth = byteWidth;
    }

    public int code() {
        return code;
    }

    /** Bytes per element, 0 when variable. */
    public int byteWidth() {
        return byteWidth;
    }

    /** The type with this enum number; null if unknown (a newer TensorFlow's type). */
    public static TfDataType ofCode(int code) {
        for (TfDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
