package org.layerfuse.weights.safetensors;

/**
 * The element types a safetensors header may name, with their byte widths. Only {@link #F32},
 * {@link #F16} and {@link #BF16} can be read as float32; the others are recognised so that a
 * file holding them (e.g. an {@code I64} {@code position_ids} buffer) still opens.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
    F64(8), I64(8), U64(8);

    private final int byteWidth;

    SafetensorsDtype(int byteWidth) {
        this.byteWidth = byteWidth;
    }

    public int byteWidth() {
        return byteWidth;
    }

    /** True for the types {@link SafetensorsReader#readFloat} converts to float32. */
    public boolean readableAsFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The type named {@code name} in a header, or null if unknown. */
    public static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
