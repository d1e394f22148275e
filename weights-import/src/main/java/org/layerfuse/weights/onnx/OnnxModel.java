package org.layerfuse.weights.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An ONNX model as {@link OnnxModelReader} reads it: the main graph's initializers, nodes,
 * inputs and outputs, and the operator-set versions. Indexed by value name so a reader can walk
 * from a tensor to the nodes that consume it.
 */
public final class OnnxModel {

    private final String source;
    private final long irVersion;
    private final String producer;
    private final Map<String, Long> opsets;
    private final Map<String, OnnxTensor> initializers;
    private final List<OnnxNode> nodes;
    private final List<OnnxValueInfo> inputs;
    private final List<OnnxValueInfo> outputs;
    private final Map<String, String> metadata;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    /**
     * @param opsets operator-set version by domain ("" is the default ONNX domain)
     */
    public OnnxModel(String source, long irVersion, String producer, Map<String, Long> opsets,
                     Map<String, OnnxTensor> initializers, List<OnnxNode> nodes, List<OnnxValueInfo> inputs,
                     List<OnnxValueInfo> outputs) {
        this(source, irVersion, producer, opsets, initializers, nodes, inputs, outputs, Map.of());
    }

    /**
     * @param metadata the model's {@code metadata_props} (key → value), e.g. LayerFuse's label names
     */
    public OnnxModel(String source, long irVersion, String producer, Map<String, Long> opsets,
                     Map<String, OnnxTensor> initializers, List<OnnxNode> nodes, List<OnnxValueInfo> inputs,
                     List<OnnxValueInfo> outputs, Map<String, String> metadata) {
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.source = source;
        this.irVersion = irVersion;
        this.producer = producer;
        this.opsets = Collections.unmodifiableMap(new LinkedHashMap<>(opsets));
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.nodes = List.copyOf(nodes);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        for (OnnxNode n : this.nodes) {
            for (String out : n.outputs()) {
                producers.put(out, n);
            }
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
    }

    /** The file the model was read from. */
    public String source() {
        return source;
    }

    public long irVersion() {
        return irVersion;
    }

    /** {@code producer_name producer_version}, e.g. "pytorch 2.0.1". */
    public String producer() {
        return producer;
    }

    /** The model's {@code metadata_props}, in file order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public Map<String, Long> opsets() {
        return opsets;
    }

    /** Version of the default ONNX operator set, or −1 if the model imports none. */
    public long opset() {
        Long v = opsets.get("");
        return v != null ? v : opsets.getOrDefault("ai.onnx", -1L);
    }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** Nodes in file order (ONNX requires topological order). */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    public List<OnnxValueInfo> inputs() {
        return inputs;
    }

    public List<OnnxValueInfo> outputs() {
        return outputs;
    }

    /** The node that computes a value; empty for graph inputs and initializers. */
    public Optional<OnnxNode> producer(String value) {
        return Optional.ofNullable(producers.get(value));
    }

    /** The nodes that read a value, in file order. */
    public List<OnnxNode> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /**
     * The value of a constant: an initializer, or the output of a {@code Constant} node
     * ({@code value}, {@code value_float} or {@code value_int}).
     */
    public Optional<OnnxTensor> constant(String value) {
        OnnxTensor init = initializers.get(value);
        if (init != null) {
            return Optional.of(init);
        }
        OnnxNode p = producers.get(value);
        if (p == null || !p.opType().equals("Constant")) {
            return Optional.empty();
        }
        Optional<OnnxAttribute> tensor = p.attribute("value");
        if (tensor.isPresent() && tensor.get().t() != null) {
            return Optional.of(tensor.get().t());
        }
        Optional<OnnxAttribute> f = p.attribute("value_float");
        if (f.isPresent()) {
            return Optional.of(new OnnxTensor(value, OnnxDataType.FLOAT, new long[0],
                    ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, f.get().f()),
                    source));
        }
        Optional<OnnxAttribute> i = p.attribute("value_int");
        if (i.isPresent()) {
            return Optional.of(new OnnxTensor(value, OnnxDataType.INT64, new long[0],
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, i.get().i()),
                    source));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "OnnxModel[" + source + ", " + producer + ", opset " + opset() + ", " + initializers.size()
                + " initializers, " + nodes.size() + " nodes]";
    }
}
