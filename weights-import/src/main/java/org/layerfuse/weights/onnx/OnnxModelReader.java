package org.layerfuse.weights.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX {@code ModelProto} (protobuf wire format, onnx.proto field numbers) from a
 * memory-mapped file, without generated classes: the main graph's initializers, nodes,
 * inputs/outputs and the opset imports. Tensor bytes stay in the mapping until asked for.
 *
 * <p>Every declared length is checked against the bytes that remain before anything is
 * allocated, every tensor's byte count against its shape and type, so a truncated or corrupt
 * file fails with a message naming the file, the byte offset and the tensor or field being read.
 * Tensors kept in external data files ({@code data_location = EXTERNAL}) are refused.
 */
public final class OnnxModelReader {

    // onnx.proto field numbers
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
            MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14;
    private static final int GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
            GRAPH_SPARSE_INITIALIZER = 15;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
            NODE_DOMAIN = 7;
    private static final int ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5, ATTR_FLOATS = 7,
            ATTR_INTS = 8, ATTR_STRINGS = 9, ATTR_TYPE = 20;
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_SEGMENT = 3, TENSOR_FLOAT_DATA = 4,
            TENSOR_INT32_DATA = 5, TENSOR_STRING_DATA = 6, TENSOR_INT64_DATA = 7, TENSOR_NAME = 8,
            TENSOR_RAW_DATA = 9, TENSOR_DOUBLE_DATA = 10, TENSOR_UINT64_DATA = 11, TENSOR_EXTERNAL_DATA = 13,
            TENSOR_DATA_LOCATION = 14;
    private static final int DATA_LOCATION_EXTERNAL = 1;

    private final String source;
    private final ByteBuffer bytes;
    private final CodedInputStream in;
    /** What is being read, outermost first, for error messages. */
    private final Deque<String> context = new ArrayDeque<>();

    private OnnxModelReader(String source, ByteBuffer bytes) {
        this.source = source;
        this.bytes = bytes;
        this.in = CodedInputStream.newInstance(bytes.duplicate());
    }

    /** Reads a {@code .onnx} file, memory-mapped. */
    public static OnnxModel read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new IllegalArgumentException(file + ": empty file, expected an ONNX model");
            }
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": " + size + " bytes; models over 2 GiB keep their"
                        + " weights in external data files, which this reader does not support");
            }
            return read(ch.map(FileChannel.MapMode.READ_ONLY, 0, size), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads a model held in memory (position to limit); {@code source} names it in errors. */
    public static OnnxModel read(ByteBuffer model, String source) {
        OnnxModelReader r = new OnnxModelReader(source, model.slice());
        try {
            return r.model();
        } catch (IOException e) {
            throw r.error("not a valid ONNX model (truncated or corrupt file?): " + e.getMessage());
        }
    }

    private OnnxModel model() throws IOException {
        in.pushLimit(bytes.remaining());
        long irVersion = -1;
        String producerName = "";
        String producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Graph graph = null;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case MODEL_IR_VERSION -> irVersion = varint(tag, "ir_version");
                case MODEL_PRODUCER_NAME -> producerName = string(tag, "producer_name");
                case MODEL_PRODUCER_VERSION -> producerVersion = string(tag, "producer_version");
                case MODEL_GRAPH -> {
                    if (graph != null) {
                        throw error("two graphs (ModelProto field 7), expected one");
                    }
                    context.addLast("graph");
                    int old = enter(tag, "graph");
                    graph = graph();
                    in.popLimit(old);
                    context.removeLast();
                }
                case MODEL_OPSET_IMPORT -> {
                    int old = enter(tag, "opset_import");
                    String domain = "";
                    long version = -1;
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> domain = string(t, "opset_import.domain");
                            case 2 -> version = varint(t, "opset_import.version");
                            default -> in.skipField(t);
                        }
                    }
                    in.popLimit(old);
                    opsets.put(domain, version);
                }
                case MODEL_METADATA_PROPS -> {
                    int old = enter(tag, "metadata_props");
                    String key = "";
                    String value = "";
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> key = string(t, "metadata_props.key");
                            case 2 -> value = string(t, "metadata_props.value");
                            default -> in.skipField(t);
                        }
                    }
                    in.popLimit(old);
                    metadata.put(key, value);
                }
                default -> in.skipField(tag);
            }
        }
        if (graph == null || irVersion < 0) {
            throw error("not an ONNX model: no " + (graph == null ? "graph (ModelProto field 7)" : "ir_version"));
        }
        if (opsets.isEmpty()) {
            throw error("no opset_import (ModelProto field 8), which every ONNX model has; is the file truncated?");
        }
        return new OnnxModel(source, irVersion, (producerName + " " + producerVersion).trim(), opsets,
                graph.initializers, graph.nodes, graph.inputs, graph.outputs, metadata);
    }

    /** The parts of the main graph this reader keeps. */
    private static final class Graph {
        final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        final List<OnnxNode> nodes = new ArrayList<>();
        final List<OnnxValueInfo> inputs = new ArrayList<>();
        final List<OnnxValueInfo> outputs = new ArrayList<>();
    }

    private Graph graph() throws IOException {
        Graph g = new Graph();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case GRAPH_NODE -> {
                    context.addLast("node #" + g.nodes.size());
                    int old = enter(tag, "node");
                    g.nodes.add(node());
                    in.popLimit(old);
                    context.removeLast();
                }
                case GRAPH_INITIALIZER -> {
                    context.addLast("initializer #" + g.initializers.size());
                    int old = enter(tag, "initializer");
                    OnnxTensor t = tensor();
                    in.popLimit(old);
                    context.removeLast();
                    if (g.initializers.put(t.name(), t) != null) {
                        throw error("two initializers named '" + t.name() + "'");
                    }
                }
                case GRAPH_INPUT, GRAPH_OUTPUT -> {
                    boolean input = WireFormat.getTagFieldNumber(tag) == GRAPH_INPUT;
                    int old = enter(tag, input ? "input" : "output");
                    (input ? g.inputs : g.outputs).add(valueInfo());
                    in.popLimit(old);
                }
                case GRAPH_SPARSE_INITIALIZER ->
                        throw error("the graph has a sparse_initializer; only dense initializers are supported");
                default -> in.skipField(tag);
            }
        }
        return g;
    }

    private OnnxNode node() throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        String domain = "";
        Map<String, OnnxAttribute> attributes = new HashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(string(tag, "input"));
                case NODE_OUTPUT -> outputs.add(string(tag, "output"));
                case NODE_NAME -> {
                    name = string(tag, "name");
                    context.removeLast();
                    context.addLast("node '" + name + "'");
                }
                case NODE_OP_TYPE -> opType = string(tag, "op_type");
                case NODE_DOMAIN -> domain = string(tag, "domain");
                case NODE_ATTRIBUTE -> {
                    int old = enter(tag, "attribute");
                    OnnxAttribute a = attribute();
                    in.popLimit(old);
                    attributes.put(a.name(), a);
                }
                default -> in.skipField(tag);
            }
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }

    private OnnxAttribute attribute() throws IOException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        OnnxTensor t = null;
        Longs floats = new Longs();
        Longs ints = new Longs();
        List<String> strings = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ATTR_NAME -> name = string(tag, "attribute name");
                case ATTR_TYPE -> type = (int) varint(tag, "attribute type");
                case ATTR_F -> {
                    expect(tag, WireFormat.WIRETYPE_FIXED32, "attribute f");
                    f = Float.intBitsToFloat(in.readRawLittleEndian32());
                }
                case ATTR_I -> i = varint(tag, "attribute i");
                case ATTR_S -> s = string(tag, "attribute s");
                case ATTR_T -> {
                    context.addLast("attribute '" + name + "'");
                    int old = enter(tag, "attribute t");
                    t = tensor();
                    in.popLimit(old);
                    context.removeLast();
                }
                case ATTR_FLOATS -> fixed32s(tag, floats, "attribute floats");
                case ATTR_INTS -> varints(tag, ints, "attribute ints");
                case ATTR_STRINGS -> strings.add(string(tag, "attribute strings"));
                default -> in.skipField(tag);
            }
        }
        float[] fs = new float[floats.size];
        for (int k = 0; k < fs.length; k++) {
            fs[k] = Float.intBitsToFloat((int) floats.values[k]);
        }
        return new OnnxAttribute(name, type, f, i, s, t, fs, ints.toArray(), strings);
    }

    private OnnxValueInfo valueInfo() throws IOException {
        String name = "";
        OnnxDataType elemType = null;
        List<OnnxValueInfo.Dim> shape = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = string(tag, "value name");
                case 2 -> { // TypeProto
                    int typeLimit = enter(tag, "type");
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        if (WireFormat.getTagFieldNumber(t) != 1) { // only tensor_type
                            in.skipField(t);
                            continue;
                        }
                        int tensorLimit = enter(t, "tensor_type");
                        while (!in.isAtEnd()) {
                            int u = in.readTag();
                            switch (WireFormat.getTagFieldNumber(u)) {
                                case 1 -> elemType = OnnxDataType.ofCode(varint(u, "elem_type"));
                                case 2 -> shape = shape(u);
                                default -> in.skipField(u);
                            }
                        }
                        in.popLimit(tensorLimit);
                    }
                    in.popLimit(typeLimit);
                }
                default -> in.skipField(tag);
            }
        }
        return new OnnxValueInfo(name, elemType, shape);
    }

    private List<OnnxValueInfo.Dim> shape(int shapeTag) throws IOException {
        List<OnnxValueInfo.Dim> dims = new ArrayList<>();
        int shapeLimit = enter(shapeTag, "shape");
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (WireFormat.getTagFieldNumber(tag) != 1) {
                in.skipField(tag);
                continue;
            }
            int dimLimit = enter(tag, "dim");
            long value = -1;
            String param = null;
            while (!in.isAtEnd()) {
                int t = in.readTag();
                switch (WireFormat.getTagFieldNumber(t)) {
                    case 1 -> value = varint(t, "dim_value");
                    case 2 -> param = string(t, "dim_param");
                    default -> in.skipField(t);
                }
            }
            in.popLimit(dimLimit);
            dims.add(new OnnxValueInfo.Dim(value, param));
        }
        in.popLimit(shapeLimit);
        return dims;
    }

    /** A {@code TensorProto}; the stream is limited to the message. */
    private OnnxTensor tensor() throws IOException {
        Longs dims = new Longs();
        long dataType = -1;
        String name = "";
        ByteBuffer raw = null;
        Longs floatData = new Longs();
        Longs int32Data = new Longs();
        Longs int64Data = new Longs();
        Longs doubleData = new Longs();
        Longs uint64Data = new Longs();
        int strings = 0;
        long dataLocation = 0;
        String externalLocation = null;
        boolean named = false;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TENSOR_DIMS -> varints(tag, dims, "dims");
                case TENSOR_DATA_TYPE -> dataType = varint(tag, "data_type");
                case TENSOR_NAME -> {
                    if (named) {
                        context.removeLast();
                    }
                    name = string(tag, "name");
                    context.addLast("'" + name + "'");
                    named = true;
                }
                case TENSOR_RAW_DATA -> {
                    int len = length(tag, "raw_data");
                    int offset = in.getTotalBytesRead();
                    in.skipRawBytes(len);
                    raw = bytes.slice(offset, len);
                }
                case TENSOR_FLOAT_DATA -> fixed32s(tag, floatData, "float_data");
                case TENSOR_INT32_DATA -> varints(tag, int32Data, "int32_data");
                case TENSOR_INT64_DATA -> varints(tag, int64Data, "int64_data");
                case TENSOR_DOUBLE_DATA -> fixed64s(tag, doubleData, "double_data");
                case TENSOR_UINT64_DATA -> varints(tag, uint64Data, "uint64_data");
                case TENSOR_STRING_DATA -> {
                    in.skipRawBytes(length(tag, "string_data"));
                    strings++;
                }
                case TENSOR_DATA_LOCATION -> dataLocation = varint(tag, "data_location");
                case TENSOR_EXTERNAL_DATA -> {
                    int old = enter(tag, "external_data");
                    String key = "";
                    String value = "";
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> key = string(t, "external_data key");
                            case 2 -> value = string(t, "external_data value");
                            default -> in.skipField(t);
                        }
                    }
                    in.popLimit(old);
                    if (key.equals("location")) {
                        externalLocation = value;
                    }
                }
                case TENSOR_SEGMENT -> throw error("tensor '" + name + "' is segmented; segmented tensors are not"
                        + " supported");
                default -> in.skipField(tag);
            }
        }
        if (named) {
            context.removeLast();
        }
        String what = "tensor '" + name + "'";
        if (dataLocation == DATA_LOCATION_EXTERNAL || externalLocation != null) {
            throw error(what + " keeps its data in the external file '" + externalLocation
                    + "' (data_location EXTERNAL); only tensors stored inside the .onnx file are supported");
        }
        if (dataType < 0) {
            throw error(what + " has no data_type");
        }
        OnnxDataType type = OnnxDataType.ofCode(dataType);
        if (type == null) {
            throw error(what + " has unknown data_type " + dataType
                    + "; expected an ONNX TensorProto.DataType code 1..23 (1 = FLOAT, 7 = INT64)");
        }
        long[] shape = dims.toArray();
        long count;
        try {
            count = OnnxTensor.elementCount(shape);
            if (type != OnnxDataType.STRING) { // strings have no byte size to overflow (found by fuzzing)
                type.byteSize(count);
            }
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw error(what + " has invalid dims " + Arrays.toString(shape)
                    + ": expected non-negative sizes whose product fits in 64 bits");
        }
        ByteBuffer data;
        if (type == OnnxDataType.STRING) {
            if (strings != count) {
                throw error(what + " of shape " + Arrays.toString(shape) + " has " + count + " elements but "
                        + strings + " string_data entries");
            }
            data = ByteBuffer.allocate(0);
        } else if (raw != null) {
            if (raw.remaining() != type.byteSize(count)) {
                throw error(what + " of type " + type + " and shape " + Arrays.toString(shape) + " needs "
                        + type.byteSize(count) + " bytes of raw_data, the file holds " + raw.remaining());
            }
            data = raw;
        } else {
            data = typedData(what, type, shape, count, floatData, int32Data, int64Data, doubleData, uint64Data);
        }
        return new OnnxTensor(name, type, shape, data, source);
    }

    /** Packs values from the typed {@code *_data} fields into little-endian bytes, as raw_data would hold them. */
    private ByteBuffer typedData(String what, OnnxDataType type, long[] shape, long count, Longs floatData,
                                 Longs int32Data, Longs int64Data, Longs doubleData, Longs uint64Data) {
        record Field(String name, Longs values) {
        }
        List<Field> present = new ArrayList<>();
        for (Field f : List.of(new Field("float_data", floatData), new Field("int32_data", int32Data),
                new Field("int64_data", int64Data), new Field("double_data", doubleData),
                new Field("uint64_data", uint64Data))) {
            if (f.values.size > 0) {
                present.add(f);
            }
        }
        String expected = switch (type) {
            case FLOAT, COMPLEX64 -> "float_data";
            case DOUBLE, COMPLEX128 -> "double_data";
            case INT64 -> "int64_data";
            case UINT32, UINT64 -> "uint64_data";
            case UINT4, INT4, FLOAT4E2M1 -> "raw_data";
            default -> "int32_data";
        };
        if (present.isEmpty()) {
            if (count == 0) {
                return ByteBuffer.allocate(0);
            }
            throw error(what + " of shape " + Arrays.toString(shape) + " has no data; expected raw_data or "
                    + expected);
        }
        if (present.size() > 1 || !present.get(0).name.equals(expected)) {
            throw error(what + " of type " + type + " holds its values in "
                    + present.stream().map(Field::name).toList() + "; expected raw_data or " + expected);
        }
        Longs values = present.get(0).values;
        int perElement = type == OnnxDataType.COMPLEX64 || type == OnnxDataType.COMPLEX128 ? 2 : 1;
        if (values.size != count * perElement) {
            throw error(what + " of shape " + Arrays.toString(shape) + " has " + count + " elements but "
                    + expected + " holds " + values.size + " values");
        }
        int width = (int) (type.byteSize(count) / Math.max(1, count)) / perElement;
        ByteBuffer out = ByteBuffer.allocate(values.size * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < values.size; k++) {
            long v = values.values[k];
            switch (width) {
                case 1 -> out.put((byte) v);
                case 2 -> out.putShort((short) v);
                case 4 -> out.putInt((int) v);
                default -> out.putLong(v);
            }
        }
        return out.flip();
    }

    // ---- wire-level helpers: each checks the wire type and the remaining bytes first ----

    /** Reads a length prefix and checks it against the bytes left in the enclosing message. */
    private int length(int tag, String field) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, field);
        long len = in.readRawVarint64();
        int remaining = in.getBytesUntilLimit();
        if (len < 0 || len > remaining) {
            throw error(field + " declares " + len + " bytes but only " + remaining + " remain in the enclosing "
                    + "message (truncated or corrupt file?)");
        }
        return (int) len;
    }

    /** Enters a nested message: returns the old limit for {@code popLimit}. */
    private int enter(int tag, String field) throws IOException {
        return in.pushLimit(length(tag, field));
    }

    private String string(int tag, String field) throws IOException {
        return new String(in.readRawBytes(length(tag, field)), StandardCharsets.UTF_8);
    }

    private long varint(int tag, String field) throws IOException {
        expect(tag, WireFormat.WIRETYPE_VARINT, field);
        return in.readRawVarint64();
    }

    private void varints(int tag, Longs out, String field) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
            out.add(in.readRawVarint64());
            return;
        }
        int len = length(tag, field);
        out.reserve(len); // an upper bound: a varint takes at least one byte
        int old = in.pushLimit(len);
        while (!in.isAtEnd()) {
            out.add(in.readRawVarint64());
        }
        in.popLimit(old);
    }

    private void fixed32s(int tag, Longs out, String field) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_FIXED32) {
            out.add(in.readRawLittleEndian32());
            return;
        }
        int len = packedLength(tag, field, 4);
        out.reserve(len / 4);
        for (int k = 0; k < len / 4; k++) {
            out.add(in.readRawLittleEndian32());
        }
    }

    private void fixed64s(int tag, Longs out, String field) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_FIXED64) {
            out.add(in.readRawLittleEndian64());
            return;
        }
        int len = packedLength(tag, field, 8);
        out.reserve(len / 8);
        for (int k = 0; k < len / 8; k++) {
            out.add(in.readRawLittleEndian64());
        }
    }

    private int packedLength(int tag, String field, int width) throws IOException {
        int len = length(tag, field);
        if (len % width != 0) {
            throw error(field + " holds " + len + " bytes, not a multiple of " + width);
        }
        return len;
    }

    private void expect(int tag, int wireType, String field) {
        if (WireFormat.getTagWireType(tag) != wireType) {
            throw error(field + " (field " + WireFormat.getTagFieldNumber(tag) + ") has wire type "
                    + WireFormat.getTagWireType(tag) + ", expected " + wireType + " (not an ONNX model or corrupt)");
        }
    }

    private IllegalArgumentException error(String message) {
        String where = context.isEmpty() ? "" : " in " + String.join(" > ", context);
        return new IllegalArgumentException(source + ": " + message + " (at byte " + in.getTotalBytesRead() + " of "
                + bytes.remaining() + where + ")");
    }

    /** A growable array of 64-bit values: integers, or float/double bit patterns. */
    private static final class Longs {
        long[] values = new long[8];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = v;
        }

        /** Room for {@code extra} more values, capped so a corrupt length cannot force a huge allocation. */
        void reserve(int extra) {
            int wanted = size + Math.min(extra, 1 << 20);
            if (wanted > values.length) {
                values = Arrays.copyOf(values, wanted);
            }
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
