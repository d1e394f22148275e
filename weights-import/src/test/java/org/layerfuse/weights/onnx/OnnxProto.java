package org.layerfuse.weights.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Writes ONNX protobuf messages field by field (onnx.proto numbers) for tests: hand-made
 * models, including broken ones the ONNX tools would refuse to write.
 */
final class OnnxProto {

    static final int FLOAT = 1;
    static final int INT64 = 7;

    interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    private OnnxProto() {
    }

    static byte[] message(Body body) {
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

    static byte[] model(long opset, byte[] graph) {
        return message(out -> {
            out.writeInt64(1, 8); // ir_version
            out.writeString(2, "layerfuse-test");
            out.writeByteArray(7, graph);
            out.writeByteArray(8, message(o -> {
                o.writeString(1, "");
                o.writeInt64(2, opset);
            }));
        });
    }

    static byte[] graph(List<byte[]> nodes, List<byte[]> initializers, List<byte[]> inputs, List<byte[]> outputs) {
        return message(out -> {
            for (byte[] n : nodes) {
                out.writeByteArray(1, n);
            }
            out.writeString(2, "test_graph");
            for (byte[] t : initializers) {
                out.writeByteArray(5, t);
            }
            for (byte[] v : inputs) {
                out.writeByteArray(11, v);
            }
            for (byte[] v : outputs) {
                out.writeByteArray(12, v);
            }
        });
    }

    static byte[] node(String opType, String name, List<String> inputs, List<String> outputs, byte[]... attributes) {
        return message(out -> {
            for (String in : inputs) {
                out.writeString(1, in);
            }
            for (String o : outputs) {
                out.writeString(2, o);
            }
            out.writeString(3, name);
            out.writeString(4, opType);
            for (byte[] a : attributes) {
                out.writeByteArray(5, a);
            }
        });
    }

    static byte[] intAttribute(String name, long value) {
        return message(out -> {
            out.writeString(1, name);
            out.writeInt64(3, value);
            out.writeInt32(20, 2);
        });
    }

    static byte[] floatAttribute(String name, float value) {
        return message(out -> {
            out.writeString(1, name);
            out.writeFloat(2, value);
            out.writeInt32(20, 1);
        });
    }

    static byte[] intsAttribute(String name, long... values) {
        return message(out -> {
            out.writeString(1, name);
            for (long v : values) {
                out.writeInt64(8, v);
            }
            out.writeInt32(20, 7);
        });
    }

    static byte[] tensorAttribute(String name, byte[] tensor) {
        return message(out -> {
            out.writeString(1, name);
            out.writeByteArray(5, tensor);
            out.writeInt32(20, 4);
        });
    }

    /** A FLOAT tensor with its values in {@code raw_data}. */
    static byte[] floatTensor(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        return tensor(name, FLOAT, dims, raw.array());
    }

    /** An INT64 tensor with its values in {@code raw_data}. */
    static byte[] int64Tensor(String name, long[] dims, long[] values) {
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            raw.putLong(v);
        }
        return tensor(name, INT64, dims, raw.array());
    }

    static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) {
        return message(out -> {
            for (long d : dims) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, dataType);
            out.writeString(8, name);
            out.writeByteArray(9, raw);
        });
    }

    /** A tensor graph input/output; dims are Long sizes or String symbolic names. */
    static byte[] valueInfo(String name, int elemType, Object... dims) {
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
}
