package org.layerfuse.weights.onnx;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an ONNX {@code ModelProto} (onnx.proto field numbers, protobuf wire format) node by
 * node and writes it with protobuf-java's {@link CodedOutputStream}, the counterpart of
 * {@link OnnxModelReader}. Nodes, value infos and small constants are encoded as they are
 * added; float initializers are kept as references to their arrays and streamed into the file
 * at the end, so a 440 MB BERT-base is never copied into one protobuf buffer (message lengths
 * are computed up front, which the wire format needs before each nested message).
 *
 * <p>Not thread-safe; one builder per file.
 */
final class OnnxGraphWriter {

    static final int FLOAT = 1;
    static final int INT64 = 7;
    /** IR version 8 (ONNX 1.10+): what ONNX Runtime 1.20 and every current tool read. */
    static final long IR_VERSION = 8;

    // onnx.proto field numbers
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
            MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14;
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11,
            GRAPH_OUTPUT = 12;
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    private static final int ATTRIBUTE_FLOAT = 1, ATTRIBUTE_INT = 2, ATTRIBUTE_INTS = 7;

    private interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    /** A float initializer whose values are written only when the file is. */
    private record FloatInitializer(byte[] header, float[] values) {
        long rawBytes() {
            return 4L * values.length;
        }

        long messageSize() {
            return header.length + CodedOutputStream.computeTagSize(TENSOR_RAW_DATA)
                    + CodedOutputStream.computeUInt64SizeNoTag(rawBytes()) + rawBytes();
        }
    }

    private final String graphName;
    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> smallInitializers = new ArrayList<>();
    private final List<FloatInitializer> floatInitializers = new ArrayList<>();
    private final List<byte[]> inputs = new ArrayList<>();
    private final List<byte[]> outputs = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private int counter;

    OnnxGraphWriter(String graphName) {
        this.graphName = graphName;
    }

    // ---- graph contents ----

    /** Adds a node with one output named after the node; returns that output's name. */
    String op(String opType, String name, List<String> in, byte[]... attributes) {
        String node = name + "_" + counter++;
        String output = node + "_output";
        nodes.add(node(opType, node, in, output, attributes));
        return output;
    }

    /** Adds a node whose one output has the given (graph output) name. */
    String opNamed(String opType, String output, List<String> in, byte[]... attributes) {
        nodes.add(node(opType, output, in, output, attributes));
        return output;
    }

    /** A float initializer written from {@code values} (not copied: the array must not change before {@link #write}). */
    String floatInitializer(String name, long[] dims, float[] values) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("initializer '" + name + "': " + values.length + " values for shape "
                    + java.util.Arrays.toString(dims));
        }
        floatInitializers.add(new FloatInitializer(message(out -> {
            for (long d : dims) {
                out.writeInt64(TENSOR_DIMS, d);
            }
            out.writeInt32(TENSOR_DATA_TYPE, FLOAT);
            out.writeString(TENSOR_NAME, name);
        }), values));
        return name;
    }

    /** A float scalar constant. */
    String floatScalar(float value) {
        String name = "const_" + counter++;
        smallInitializers.add(tensor(name, FLOAT, new long[0], littleEndian(4).putFloat(value).array()));
        return name;
    }

    /** An int64 constant of the given shape. */
    String int64Constant(long[] dims, long... values) {
        String name = "const_" + counter++;
        ByteBuffer raw = littleEndian(8 * values.length);
        for (long v : values) {
            raw.putLong(v);
        }
        smallInitializers.add(tensor(name, INT64, dims, raw.array()));
        return name;
    }

    /** A graph input or output; each dim is a Long size or a String symbolic name (a dynamic axis). */
    void input(String name, int elemType, Object... dims) {
        inputs.add(valueInfo(name, elemType, dims));
    }

    void output(String name, int elemType, Object... dims) {
        outputs.add(valueInfo(name, elemType, dims));
    }

    void metadata(String key, String value) {
        metadata.put(key, value);
    }

    // ---- attributes ----

    static byte[] intAttribute(String name, long value) {
        return message(out -> {
            out.writeString(1, name);
            out.writeInt64(3, value);
            out.writeInt32(20, ATTRIBUTE_INT);
        });
    }

    static byte[] floatAttribute(String name, float value) {
        return message(out -> {
            out.writeString(1, name);
            out.writeFloat(2, value);
            out.writeInt32(20, ATTRIBUTE_FLOAT);
        });
    }

    static byte[] intsAttribute(String name, long... values) {
        return message(out -> {
            out.writeString(1, name);
            for (long v : values) {
                out.writeInt64(8, v);
            }
            out.writeInt32(20, ATTRIBUTE_INTS);
        });
    }

    // ---- the file ----

    /** Writes the model to {@code file} (created or truncated; callers write to a temporary file and move it). */
    void write(Path file, long opset, String producerVersion) {
        try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            CodedOutputStream out = CodedOutputStream.newInstance(stream, 1 << 16);
            out.writeInt64(MODEL_IR_VERSION, IR_VERSION);
            out.writeString(MODEL_PRODUCER_NAME, "layerfuse");
            out.writeString(MODEL_PRODUCER_VERSION, producerVersion);
            out.writeByteArray(MODEL_OPSET_IMPORT, message(o -> {
                o.writeString(1, "");
                o.writeInt64(2, opset);
            }));
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                out.writeByteArray(MODEL_METADATA_PROPS, message(o -> {
                    o.writeString(1, e.getKey());
                    o.writeString(2, e.getValue());
                }));
            }
            out.writeTag(MODEL_GRAPH, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(graphSize());
            writeGraph(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": writing the ONNX model failed: " + e.getMessage(), e);
        }
    }

    private long graphSize() {
        long size = 0;
        for (byte[] n : nodes) {
            size += CodedOutputStream.computeByteArraySize(GRAPH_NODE, n);
        }
        size += CodedOutputStream.computeStringSize(GRAPH_NAME, graphName);
        for (byte[] t : smallInitializers) {
            size += CodedOutputStream.computeByteArraySize(GRAPH_INITIALIZER, t);
        }
        for (FloatInitializer t : floatInitializers) {
            long m = t.messageSize();
            size += CodedOutputStream.computeTagSize(GRAPH_INITIALIZER) + CodedOutputStream.computeUInt64SizeNoTag(m) + m;
        }
        for (byte[] v : inputs) {
            size += CodedOutputStream.computeByteArraySize(GRAPH_INPUT, v);
        }
        for (byte[] v : outputs) {
            size += CodedOutputStream.computeByteArraySize(GRAPH_OUTPUT, v);
        }
        if (size > Integer.MAX_VALUE) {
            // protobuf's 2 GiB message limit: such models need ONNX external data, which this writer does not do
            throw new IllegalArgumentException("the ONNX graph would be " + size + " bytes, over protobuf's 2 GiB limit");
        }
        return size;
    }

    private void writeGraph(CodedOutputStream out) throws IOException {
        for (byte[] n : nodes) {
            out.writeByteArray(GRAPH_NODE, n);
        }
        out.writeString(GRAPH_NAME, graphName);
        for (byte[] t : smallInitializers) {
            out.writeByteArray(GRAPH_INITIALIZER, t);
        }
        ByteBuffer chunk = littleEndian(1 << 16);
        for (FloatInitializer t : floatInitializers) {
            out.writeTag(GRAPH_INITIALIZER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(t.messageSize());
            out.writeRawBytes(t.header());
            out.writeTag(TENSOR_RAW_DATA, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(t.rawBytes());
            float[] v = t.values();
            for (int i = 0; i < v.length; ) {
                chunk.clear();
                int n = Math.min(v.length - i, chunk.capacity() / 4);
                chunk.asFloatBuffer().put(v, i, n);
                out.writeRawBytes(chunk.array(), 0, 4 * n);
                i += n;
            }
        }
        for (byte[] v : inputs) {
            out.writeByteArray(GRAPH_INPUT, v);
        }
        for (byte[] v : outputs) {
            out.writeByteArray(GRAPH_OUTPUT, v);
        }
    }

    // ---- messages ----

    private static byte[] node(String opType, String name, List<String> in, String output, byte[]... attributes) {
        return message(out -> {
            for (String i : in) {
                out.writeString(1, i);
            }
            out.writeString(2, output);
            out.writeString(3, name);
            out.writeString(4, opType);
            for (byte[] a : attributes) {
                out.writeByteArray(5, a);
            }
        });
    }

    private static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) {
        return message(out -> {
            for (long d : dims) {
                out.writeInt64(TENSOR_DIMS, d);
            }
            out.writeInt32(TENSOR_DATA_TYPE, dataType);
            out.writeString(TENSOR_NAME, name);
            out.writeByteArray(TENSOR_RAW_DATA, raw);
        });
    }

    private static byte[] valueInfo(String name, int elemType, Object... dims) {
        byte[] shape = message(out -> {
            for (Object d : dims) {
                out.writeByteArray(1, message(o -> {
                    if (d instanceof String s) {
                        o.writeString(2, s);
                    } else {
                        o.writeInt64(1, (Long) d);
                    }
                }));
            }
        });
        byte[] tensorType = message(out -> {
            out.writeInt32(1, elemType);
            out.writeByteArray(2, shape);
        });
        return message(out -> {
            out.writeString(1, name);
            out.writeByteArray(2, message(o -> o.writeByteArray(1, tensorType)));
        });
    }

    private static byte[] message(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            body.write(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static ByteBuffer littleEndian(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
