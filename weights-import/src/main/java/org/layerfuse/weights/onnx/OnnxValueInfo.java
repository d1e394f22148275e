package org.layerfuse.weights.onnx;

import java.util.List;

/**
 * A graph input or output ({@code ValueInfoProto}) with its tensor element type and shape.
 *
 * @param elemType null when the file gives no (or an unknown) tensor type
 * @param shape    one entry per dimension; empty when the rank is unknown
 */
public record OnnxValueInfo(String name, OnnxDataType elemType, List<Dim> shape) {

    public OnnxValueInfo {
        shape = List.copyOf(shape);
    }

    /** A dimension: a fixed size, or a symbolic name such as {@code batch_size} (value −1). */
    public record Dim(long value, String param) {

        @Override
        public String toString() {
            return param != null && !param.isEmpty() ? param : value >= 0 ? Long.toString(value) : "?";
        }
    }
}
