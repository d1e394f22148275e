package org.layerfuse.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.weights.artifact.MiniLmArtifact;

class OnnxModelReaderTest {

    private static Path miniLm;
    private static OnnxModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readMiniLm() {
        miniLm = MiniLmArtifact.files().onnx();
        model = OnnxModelReader.read(miniLm);
    }

    @Test
    void readsTheMiniLmGraph() {
        assertEquals(6, model.irVersion());
        assertEquals("pytorch 2.0.1", model.producer());
        assertEquals(11, model.opset());
        assertEquals(102, model.initializers().size());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"),
                model.inputs().stream().map(OnnxValueInfo::name).toList());
        for (OnnxValueInfo in : model.inputs()) {
            assertEquals(OnnxDataType.INT64, in.elemType(), in.name());
            assertEquals(2, in.shape().size(), in.name());
            assertTrue(in.shape().get(0).param() != null, "symbolic batch dimension of " + in.name());
        }
        OnnxValueInfo out = model.outputs().get(0);
        assertEquals("last_hidden_state", out.name());
        assertEquals(OnnxDataType.FLOAT, out.elemType());
        assertEquals(1, model.outputs().size());

        List<OnnxTensor> matrices = model.initializers().values().stream()
                .filter(t -> t.name().startsWith("onnx::MatMul_")).toList();
        assertEquals(36, matrices.size());
        for (OnnxTensor t : matrices) {
            assertEquals(OnnxDataType.FLOAT, t.type());
            assertEquals(2, t.rank());
            assertEquals(1, model.consumers(t.name()).size(), t.name());
            assertEquals("MatMul", model.consumers(t.name()).get(0).opType(), t.name());
        }
        assertEquals(48, count("MatMul"));
        assertEquals(6, count("Erf"));
        assertEquals(6, count("Softmax"));
        assertEquals(0, count("Tanh"));

        OnnxTensor positionIds = model.initializers().get("embeddings.position_ids");
        assertEquals(OnnxDataType.INT64, positionIds.type());
        assertArrayEquals(new long[] {1, 512}, positionIds.dims());
        assertArrayEquals(LongStream.range(0, 512).toArray(), positionIds.longs());
        OnnxTensor words = model.initializers().get("embeddings.word_embeddings.weight");
        assertArrayEquals(new long[] {30522, 384}, words.dims());
        assertEquals(30522 * 384, words.floats().length);
    }

    /** Every initializer against protobuf's own generic parser, an independent reading of the same bytes. */
    @Test
    void initializersMatchProtobufsGenericParser() throws IOException {
        UnknownFieldSet modelFields = UnknownFieldSet.parseFrom(Files.readAllBytes(miniLm));
        UnknownFieldSet graph = UnknownFieldSet.parseFrom(
                modelFields.getField(7).getLengthDelimitedList().get(0));
        List<ByteString> initializers = graph.getField(5).getLengthDelimitedList();
        assertEquals(initializers.size(), model.initializers().size());
        for (ByteString bytes : initializers) {
            UnknownFieldSet t = UnknownFieldSet.parseFrom(bytes);
            String name = t.getField(8).getLengthDelimitedList().get(0).toStringUtf8();
            OnnxTensor ours = model.initializers().get(name);
            assertTrue(ours != null, name);
            long[] dims = t.getField(1).getVarintList().stream().mapToLong(Long::longValue).toArray();
            assertArrayEquals(dims, ours.dims(), name);
            assertEquals(t.getField(2).getVarintList().get(0).intValue(), ours.type().code(), name);
            ByteString raw = t.getField(9).getLengthDelimitedList().get(0);
            assertEquals(raw.asReadOnlyByteBuffer(), ours.data(), name);
        }
    }

    @Test
    void truncatedFileFailsNamingTheFile() throws IOException {
        byte[] all = Files.readAllBytes(miniLm);
        Path half = tmp.resolve("half.onnx");
        Files.write(half, Arrays.copyOf(all, all.length / 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxModelReader.read(half));
        assertTrue(e.getMessage().contains(half.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("graph declares"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        SplittableRandom random = new SplittableRandom(1);
        long[] cuts = LongStream.concat(LongStream.of(1, 2, 10, 100, 1000, all.length - 200, all.length - 50,
                all.length - 10, all.length - 1), random.longs(20, 1, all.length)).toArray();
        ByteBuffer whole = ByteBuffer.wrap(all);
        for (long cut : cuts) {
            ByteBuffer part = whole.slice(0, (int) cut);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> OnnxModelReader.read(part, "cut-" + cut), "cut at " + cut);
            assertTrue(ex.getMessage().startsWith("cut-" + cut + ": "), ex.getMessage());
        }
    }

    /** A graph cut anywhere, inside a model whose own lengths are right: the nested checks must catch it. */
    @Test
    void graphCutAnywhereFailsCleanly() {
        byte[] graph = tinyGraph();
        for (int cut = 1; cut < graph.length; cut++) {
            byte[] model = OnnxProto.model(14, Arrays.copyOf(graph, cut));
            try {
                OnnxModelReader.read(ByteBuffer.wrap(model), "cut");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("cut: "), e.getMessage());
            }
        }
    }

    /** Single-byte corruptions give a model or a clear error, never another exception. */
    @Test
    void corruptBytesNeverEscapeAsOtherExceptions() {
        byte[] good = TinyBertOnnx.build(TinyBertOnnx.Options.huggingFace(), 3).bytes;
        SplittableRandom random = new SplittableRandom(7);
        int errors = 0;
        for (int trial = 0; trial < 3000; trial++) {
            byte[] bad = good.clone();
            bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            try {
                OnnxModelReader.read(ByteBuffer.wrap(bad), "mutant");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("mutant: "), e.getMessage());
                // the context names at most graph > node > attribute > tensor
                assertTrue(e.getMessage().split(" > ").length <= 4, e.getMessage());
                errors++;
            } catch (RuntimeException e) {
                fail("trial " + trial + " escaped as " + e, e);
            }
        }
        assertTrue(errors > 0, "some corruptions must be detected");
    }

    @Test
    void randomBytesAreNotAModel() throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        for (int k = 0; k < 5; k++) {
            byte[] junk = new byte[1 << 16];
            for (int i = 0; i < junk.length; i++) {
                junk[i] = (byte) random.nextInt(256);
            }
            Path file = Files.write(tmp.resolve("junk" + k + ".onnx"), junk);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxModelReader.read(file));
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        }
        Path empty = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OnnxModelReader.read(empty)).getMessage()
                .contains("empty file"));
        byte[] otherMessage = OnnxProto.message(out -> out.writeInt64(1, 42));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxModelReader.read(ByteBuffer.wrap(otherMessage), "other.pb"));
        assertTrue(e.getMessage().contains("other.pb: not an ONNX model: no graph"), e.getMessage());
    }

    @Test
    void unknownDataTypeIsNamed() {
        byte[] t = OnnxProto.tensor("weird", 99, new long[] {2}, new byte[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readWith(t));
        assertTrue(e.getMessage().contains("tensor 'weird' has unknown data_type 99"), e.getMessage());
        assertTrue(e.getMessage().startsWith("m.onnx: "), e.getMessage());
    }

    @Test
    void externalDataIsRefusedNamingTheFile() {
        byte[] t = OnnxProto.message(out -> {
            out.writeInt64(1, 4);
            out.writeInt32(2, OnnxProto.FLOAT);
            out.writeString(8, "encoder.big.weight");
            out.writeByteArray(13, OnnxProto.message(o -> {
                o.writeString(1, "location");
                o.writeString(2, "weights.bin");
            }));
            out.writeInt32(14, 1);
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readWith(t));
        assertTrue(e.getMessage().contains("tensor 'encoder.big.weight' keeps its data in the external file"
                + " 'weights.bin'"), e.getMessage());
    }

    @Test
    void rawDataMustMatchTheShape() {
        byte[] t = OnnxProto.floatTensor("w", new long[] {2, 3}, new float[5]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readWith(t));
        assertTrue(e.getMessage().contains("tensor 'w' of type FLOAT and shape [2, 3] needs 24 bytes of raw_data,"
                + " the file holds 20"), e.getMessage());
        byte[] huge = OnnxProto.tensor("h", OnnxProto.FLOAT, new long[] {1L << 40, 1L << 30}, new byte[4]);
        e = assertThrows(IllegalArgumentException.class, () -> readWith(huge));
        assertTrue(e.getMessage().contains("tensor 'h' has invalid dims"), e.getMessage());
    }

    @Test
    void readsTypedDataFieldsPackedAndUnpacked() {
        byte[] floats = OnnxProto.message(out -> {
            out.writeInt64(1, 2);
            out.writeInt64(1, 2); // dims unpacked
            out.writeInt32(2, OnnxProto.FLOAT);
            out.writeString(8, "f");
            out.writeByteArray(4, floatsPacked(1.5f, -2f, 3.25f, 0f));
        });
        byte[] longs = OnnxProto.message(out -> {
            out.writeByteArray(1, OnnxProto.message(o -> o.writeInt64NoTag(3))); // dims packed
            out.writeInt32(2, OnnxProto.INT64);
            out.writeString(8, "l");
            out.writeInt64(7, -5);
            out.writeInt64(7, 1L << 40);
            out.writeInt64(7, 7);
        });
        OnnxModel m = OnnxModelReader.read(ByteBuffer.wrap(OnnxProto.model(14,
                OnnxProto.graph(List.of(), List.of(floats, longs), List.of(), List.of()))), "typed");
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f}, m.initializers().get("f").floats());
        assertArrayEquals(new long[] {2, 2}, m.initializers().get("f").dims());
        assertArrayEquals(new long[] {-5, 1L << 40, 7}, m.initializers().get("l").longs());

        byte[] mismatch = OnnxProto.message(out -> {
            out.writeInt64(1, 3);
            out.writeInt32(2, OnnxProto.FLOAT);
            out.writeString(8, "short");
            out.writeByteArray(4, floatsPacked(1f, 2f));
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readWith(mismatch));
        assertTrue(e.getMessage().contains("tensor 'short' of shape [3] has 3 elements but float_data holds 2"),
                e.getMessage());
    }

    private static byte[] floatsPacked(float... values) {
        return OnnxProto.message(o -> {
            for (float v : values) {
                o.writeFloatNoTag(v);
            }
        });
    }

    private static OnnxModel readWith(byte[] initializer) {
        return OnnxModelReader.read(ByteBuffer.wrap(OnnxProto.model(14,
                OnnxProto.graph(List.of(), List.of(initializer), List.of(), List.of()))), "m.onnx");
    }

    /** The graph message of the tiny BERT (field 7 of its model). */
    private static byte[] tinyGraph() {
        byte[] modelBytes = TinyBertOnnx.build(TinyBertOnnx.Options.huggingFace(), 5).bytes;
        try {
            return UnknownFieldSet.parseFrom(modelBytes).getField(7).getLengthDelimitedList().get(0).toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long count(String opType) {
        return model.nodes().stream().filter(n -> n.opType().equals(opType)).count();
    }
}
