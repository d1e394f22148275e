package org.layerfuse.weights.onnx;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A graph node ({@code NodeProto}): operator, inputs and outputs by value name, attributes. */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Map.copyOf(attributes);
    }

    public Optional<OnnxAttribute> attribute(String attributeName) {
        return Optional.ofNullable(attributes.get(attributeName));
    }

    /** An INT attribute, or {@code fallback} when absent (ONNX attribute defaults). */
    public long intAttribute(String attributeName, long fallback) {
        OnnxAttribute a = attributes.get(attributeName);
        return a == null ? fallback : a.i();
    }

    /** Input {@code k}, or "" when the node has fewer inputs (ONNX's notation for an omitted optional input). */
    public String input(int k) {
        return k < inputs.size() ? inputs.get(k) : "";
    }

    @Override
    public String toString() {
        return opType + " node '" + name + "'";
    }
}
