package org.layerfuse.weights.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.Tensor;

/**
 * Reads a safetensors file: an unsigned 64-bit little-endian header length N, N bytes of UTF-8
 * JSON {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 * "__metadata__": {"key": "value"}}}, then the data buffer, offsets being relative to its start.
 *
 * <p>The header is checked as the reference implementation (Hugging Face's Rust crate) checks it,
 * before any tensor is read: N at most 100 MB and inside the file, strict UTF-8 and JSON with no
 * duplicate keys, known dtypes, non-negative shapes, {@code end - begin} = elements × width, and
 * the tensors tiling the data buffer exactly (sorted by offset, each starting where the previous
 * ends, the last ending at the end of the file), so overlapping, out-of-order or dangling ranges
 * are errors. Messages name the file and the tensor. Tensor bytes are memory-mapped when read;
 * F32, F16 and BF16 convert to float32.
 */
public final class SafetensorsReader implements AutoCloseable {

    /** The reference implementation's limit on the header length. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, SafetensorsEntry> entries;

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, Map<String, String> metadata,
                              Map<String, SafetensorsEntry> entries) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.entries = entries;
    }

    /** Opens and checks a file; its tensors are read on demand. */
    public static SafetensorsReader open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw error(file, "only " + size + " bytes; a safetensors file starts with an 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthBytes, 0);
            long n = lengthBytes.getLong(0);
            if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) {
                throw error(file, "header length " + Long.toUnsignedString(n) + " is impossible: the file has "
                        + size + " bytes and headers are at most " + MAX_HEADER_BYTES
                        + " bytes (truncated or not a safetensors file?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, SafetensorsEntry> entries = parseHeader(file, header.flip(), size - 8 - n, metadata);
            return new SafetensorsReader(file, ch, 8 + n, Collections.unmodifiableMap(metadata), entries);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException(file + ": cannot read: " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, position + dst.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static Map<String, SafetensorsEntry> parseHeader(Path file, ByteBuffer header, long dataLength,
                                                             Map<String, String> metadata) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(header).toString();
        } catch (CharacterCodingException e) {
            throw error(file, "the header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw error(file, "the header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw error(file, "the header must be a JSON object of tensors, got " + (root == null ? "nothing"
                    : root.getNodeType()));
        }
        List<SafetensorsEntry> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("__metadata__")) {
                metadata(file, f.getValue(), metadata);
            } else {
                list.add(entry(file, f.getKey(), f.getValue(), dataLength));
            }
        }
        // Sorted by offsets, the tensors must tile the data buffer: no overlap, no gap, nothing after.
        list.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        long expected = 0;
        SafetensorsEntry previous = null;
        for (SafetensorsEntry e : list) {
            if (e.begin() < expected) {
                throw error(file, "tensor '" + e.name() + "' at bytes [" + e.begin() + ", " + e.end()
                        + ") overlaps tensor '" + previous.name() + "' at [" + previous.begin() + ", "
                        + previous.end() + ")");
            }
            if (e.begin() > expected) {
                throw error(file, "tensor '" + e.name() + "' starts at byte " + e.begin() + " but the tensors before"
                        + " it end at " + expected + "; tensors must tile the data buffer without gaps");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataLength) {
            throw error(file, "the data buffer has " + dataLength + " bytes but the tensors cover " + expected);
        }
        Map<String, SafetensorsEntry> entries = new LinkedHashMap<>();
        list.forEach(e -> entries.put(e.name(), e));
        return Collections.unmodifiableMap(entries);
    }

    private static void metadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw error(file, "__metadata__ must be an object of strings, got " + node.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw error(file, "__metadata__ value '" + m.getKey() + "' must be a string, got "
                        + m.getValue().getNodeType());
            }
            out.put(m.getKey(), m.getValue().asText());
        }
    }

    private static SafetensorsEntry entry(Path file, String name, JsonNode node, long dataLength) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw error(file, where + " must be an object {dtype, shape, data_offsets}, got " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw error(file, where + " has no string 'dtype'");
        }
        SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeNode.asText());
        if (dtype == null) {
            throw error(file, where + " has unknown dtype '" + dtypeNode.asText() + "'; known: "
                    + Arrays.toString(SafetensorsDtype.values()));
        }
        long[] shape = longs(file, where, node.get("shape"), "shape", -1);
        long[] offsets = longs(file, where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw error(file, where + " has data_offsets [" + begin + ", " + end + "] out of order (begin > end)");
        }
        if (end > dataLength) {
            throw error(file, where + " claims bytes [" + begin + ", " + end + ") but the data buffer has only "
                    + dataLength + " bytes (truncated file?)");
        }
        SafetensorsEntry e = new SafetensorsEntry(name, dtype, shape, begin, end);
        long bytes;
        try {
            bytes = Math.multiplyExact(e.elementCount(), dtype.byteWidth());
        } catch (ArithmeticException overflow) {
            throw error(file, where + " has an impossible shape " + Arrays.toString(shape));
        }
        if (bytes != end - begin) {
            throw error(file, where + " is " + dtype + Arrays.toString(shape) + " = " + bytes + " bytes, but its"
                    + " data_offsets [" + begin + ", " + end + ") hold " + (end - begin));
        }
        return e;
    }

    /** A JSON array of non-negative integers ({@code length} of them unless −1). */
    private static long[] longs(Path file, String where, JsonNode node, String key, int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw error(file, where + " needs '" + key + "' as an array of " + (length >= 0 ? length + " " : "")
                    + "non-negative integers, got " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw error(file, where + " has '" + key + "' element " + i + " = " + v
                        + "; expected a non-negative integer");
            }
            out[i] = v.asLong();
        }
        return out;
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} strings (empty if none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor by name, in the order of their bytes in the file. */
    public Map<String, SafetensorsEntry> entries() {
        return entries;
    }

    public SafetensorsEntry entry(String name) {
        SafetensorsEntry e = entries.get(name);
        if (e == null) {
            throw error(file, "no tensor '" + name + "' (the file has " + entries.size() + ")");
        }
        return e;
    }

    /** A tensor's bytes, little-endian, memory-mapped. */
    public ByteBuffer readRaw(String name) {
        SafetensorsEntry e = entry(name);
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": cannot map tensor '" + name + "': " + ex.getMessage(), ex);
        }
    }

    /** An F32, F16 or BF16 tensor as float32. */
    public Tensor readFloat(String name) {
        SafetensorsEntry e = entry(name);
        if (!e.dtype().readableAsFloat()) {
            throw error(file, "tensor '" + name + "' is " + e.dtype() + "; only F32, F16 and BF16 tensors can be"
                    + " read as float32");
        }
        if (e.elementCount() > Integer.MAX_VALUE - 8) {
            throw error(file, "tensor '" + name + "' has " + e.elementCount() + " elements, more than a Java array"
                    + " holds");
        }
        float[] data = new float[(int) e.elementCount()];
        ByteBuffer raw = readRaw(name);
        switch (e.dtype()) {
            case F32 -> raw.asFloatBuffer().get(data);
            case F16 -> {
                ShortBuffer s = raw.asShortBuffer();
                for (int i = 0; i < data.length; i++) {
                    data[i] = halfToFloat(s.get(i));
                }
            }
            case BF16 -> {
                ShortBuffer s = raw.asShortBuffer();
                for (int i = 0; i < data.length; i++) {
                    data[i] = bfloat16ToFloat(s.get(i));
                }
            }
            default -> throw new IllegalStateException(e.dtype().name());
        }
        return new Tensor(e.shape(), data);
    }

    /**
     * IEEE 754 binary16 to float32 (exact): sign, 5-bit exponent (bias 15), 10-bit fraction;
     * exponent 0 is subnormal, fraction × 2⁻²⁴; exponent 31 is infinity or NaN.
     */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int exponent = (h >>> 10) & 0x1f;
        int fraction = h & 0x3ff;
        float magnitude;
        if (exponent == 0) {
            magnitude = fraction * 0x1p-24f;
        } else if (exponent == 31) {
            magnitude = fraction == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat((exponent + 127 - 15) << 23 | fraction << 13);
        }
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /** bfloat16 is the upper half of a float32: shift the bits back into place. */
    public static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    private static IllegalArgumentException error(Path file, String message) {
        return new IllegalArgumentException(file + ": " + message);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}
