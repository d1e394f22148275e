package org.layerfuse.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Tensor;

/**
 * safetensors: writer/reader round trip, half-precision decoding against hand-computed values,
 * and files built byte by byte with broken headers.
 */
class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripIsBitwiseAndKeepsOrder() throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.last.in.name.order", random(r, 7, 3));
        tensors.put("a.vector", random(r, 5));
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffa00000)};
        tensors.put("special", Tensor.of(special, 2, 4));
        tensors.put("scalar", Tensor.of(new float[] {3.5f}));
        tensors.put("empty", Tensor.of(new float[0], 0, 3));
        tensors.put("big", random(r, 300, 1000)); // spans several write chunks
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, tensors);

        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        assertEquals(0, (8 + n) % 8, "data buffer 8-byte aligned");
        String header = new String(bytes, 8, n, StandardCharsets.UTF_8);
        JsonNode json = new ObjectMapper().readTree(header);
        assertEquals("pt", json.get("__metadata__").get("format").asText());
        assertTrue(header.stripTrailing().endsWith("}") && header.substring(header.stripTrailing().length()).isBlank(),
                "padded with spaces");
        // The bytes at each tensor's offsets are its floats, little-endian (checked without the reader).
        long dataStart = 8 + n;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonNode t = json.get(e.getKey());
            assertEquals("F32", t.get("dtype").asText());
            int begin = t.get("data_offsets").get(0).asInt();
            float[] data = e.getValue().data();
            for (int i = 0; i < data.length; i++) {
                assertEquals(Float.floatToRawIntBits(data[i]), b.getInt((int) dataStart + begin + 4 * i), e.getKey());
            }
        }

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(List.copyOf(tensors.keySet()), List.copyOf(reader.entries().keySet()), "insertion order");
            assertEquals(Map.of("format", "pt"), reader.metadata());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = reader.readFloat(e.getKey());
                assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
                assertArrayEquals(bits(e.getValue().data()), bits(t.data()), e.getKey());
            }
        }
    }

    @Test
    void halfAndBfloat16DecodeToHandComputedValues() throws IOException {
        short[] f16 = {0x3c00, (short) 0xc000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x3555, (short) 0x8000, 0x7c00,
                (short) 0xfc00, 0x7e00};
        float[] f16Expected = {1f, -2f, (float) Math.pow(2, -24), 1023 * (float) Math.pow(2, -24),
                (float) Math.pow(2, -14), 65504f, 0.333251953125f, -0f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN};
        short[] bf16 = {0x3f80, (short) 0xc000, 0x4049, 0x0001, 0x7f80, 0x7fc0, (short) 0x8000};
        float[] bf16Expected = {1f, -2f, 3.140625f, (float) Math.pow(2, -133), Float.POSITIVE_INFINITY, Float.NaN,
                -0f};
        ByteBuffer data = ByteBuffer.allocate(2 * (f16.length + bf16.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : f16) {
            data.putShort(s);
        }
        for (short s : bf16) {
            data.putShort(s);
        }
        int f16End = 2 * f16.length;
        Path file = rawFile("{\"h\":{\"dtype\":\"F16\",\"shape\":[" + f16.length + "],\"data_offsets\":[0," + f16End
                + "]},\"b\":{\"dtype\":\"BF16\",\"shape\":[" + bf16.length + "],\"data_offsets\":[" + f16End + ","
                + data.capacity() + "]}}", data.array());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertArrayEquals(bits(f16Expected), bits(r.readFloat("h").data()));
            assertArrayEquals(bits(bf16Expected), bits(r.readFloat("b").data()));
        }
    }

    @Test
    void otherDtypesOpenButAreNotReadAsFloat() throws IOException {
        Path file = rawFile("{\"__metadata__\":{\"format\":\"pt\"},\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,2],"
                + "\"data_offsets\":[0,16]}}", new byte[16]);
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(SafetensorsDtype.I64, r.entry("position_ids").dtype());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> r.readFloat("position_ids"));
            assertMessage(e, file, "'position_ids'", "I64", "F32, F16 and BF16");
        }
    }

    @Test
    void offsetsPastTheEndAreRejected() throws IOException {
        Path file = rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", new byte[20]);
        assertMessage(open(file), file, "'w'", "[8, 24)", "20 bytes", "truncated");
    }

    @Test
    void absurdHeaderLengthsAreRejected() throws IOException {
        for (long n : new long[] {1L << 40, -5, 1000, 0}) {
            ByteBuffer b = ByteBuffer.allocate(8 + 100).order(ByteOrder.LITTLE_ENDIAN).putLong(n);
            Path file = dir.resolve("len" + n + ".safetensors");
            Files.write(file, b.array());
            assertMessage(open(file), file, "header length " + Long.toUnsignedString(n));
        }
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[5]);
        assertMessage(open(tiny), tiny, "only 5 bytes");
    }

    @Test
    void overlappingAndGappedRangesAreRejected() throws IOException {
        Path overlap = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        assertMessage(open(overlap), overlap, "'b'", "overlaps", "'a'");
        Path gap = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]);
        assertMessage(open(gap), gap, "'b'", "starts at byte 8", "without gaps");
        Path reversed = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]);
        assertMessage(open(reversed), reversed, "'a'", "out of order");
        Path trailing = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]);
        assertMessage(open(trailing), trailing, "8 bytes", "cover 4");
    }

    @Test
    void byteCountMustMatchShapeAndDtype() throws IOException {
        Path file = rawFile("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", new byte[24]);
        assertMessage(open(file), file, "'w'", "F16[2, 3] = 12 bytes", "hold 24");
    }

    @Test
    void brokenHeadersNameTheProblem() throws IOException {
        byte[] badUtf8 = "{\"\u00e9\":1}".getBytes(StandardCharsets.ISO_8859_1);
        Path latin1 = rawFile(badUtf8, new byte[0]);
        assertMessage(open(latin1), latin1, "not valid UTF-8");
        Path notJson = rawFile("{\"a\": {\"dtype\": \"F32\",", new byte[0]);
        assertMessage(open(notJson), notJson, "not valid JSON");
        Path duplicate = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[0]);
        assertMessage(open(duplicate), duplicate, "not valid JSON", "Duplicate");
        Path array = rawFile("[1, 2]", new byte[0]);
        assertMessage(open(array), array, "JSON object");
        Path dtype = rawFile("{\"q\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
        assertMessage(open(dtype), dtype, "'q'", "unknown dtype 'Q4'");
        Path shape = rawFile("{\"s\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMessage(open(shape), shape, "'s'", "shape");
        Path offsets = rawFile("{\"o\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]);
        assertMessage(open(offsets), offsets, "'o'", "data_offsets");
    }

    @Test
    void failedWriteLeavesTargetUntouchedAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.writeString(file, "previous contents");
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        entries.add(SafetensorsWriter.Entry.of("first", random(new SplittableRandom(1), 1000, 100)));
        entries.add(new SafetensorsWriter.Entry("second", new long[] {4}, () -> {
            throw new IllegalStateException("tensor source failed");
        }));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SafetensorsWriter.write(file, entries, SafetensorsWriter.PYTORCH_METADATA));
        assertEquals("tensor source failed", e.getMessage());
        assertEquals("previous contents", Files.readString(file));
        assertEquals(List.of(file), list(dir), "no temporary file left");

        List<SafetensorsWriter.Entry> wrongLength = List.of(new SafetensorsWriter.Entry("short", new long[] {2, 3},
                () -> new float[5]));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(file, wrongLength, SafetensorsWriter.PYTORCH_METADATA));
        assertMessage(bad, file, "'short'", "6 values", "5");
        assertEquals("previous contents", Files.readString(file));
        assertEquals(List.of(file), list(dir));
    }

    private Path rawFile(String header, byte[] data) throws IOException {
        return rawFile(header.getBytes(StandardCharsets.UTF_8), data);
    }

    /** A file built byte by byte: length, header, data. */
    private Path rawFile(byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        Path file = Files.createTempFile(dir, "hand", ".safetensors");
        Files.write(file, b.array());
        return file;
    }

    private static IllegalArgumentException open(Path file) {
        return assertThrows(IllegalArgumentException.class, () -> SafetensorsReader.open(file).close());
    }

    private static void assertMessage(Exception e, Path file, String... parts) {
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    private static Tensor random(SplittableRandom r, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, shape);
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }
}
