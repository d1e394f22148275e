package org.layerfuse.weights.onnx;

import java.util.List;

/**
 * A node attribute ({@code AttributeProto}) with the value kinds a BERT graph uses; sub-graph
 * attributes are not kept.
 *
 * @param type the {@code AttributeProto.AttributeType} code (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR,
 *             6 FLOATS, 7 INTS, 8 STRINGS; 0 in files that omit it)
 */
public record OnnxAttribute(String name, int type, float f, long i, String s, OnnxTensor t, float[] floats,
                            long[] ints, List<String> strings) {

    public OnnxAttribute {
        floats = floats.clone();
        ints = ints.clone();
        strings = List.copyOf(strings);
    }

    @Override
    public float[] floats() {
        return floats.clone();
    }

    @Override
    public long[] ints() {
        return ints.clone();
    }
}
