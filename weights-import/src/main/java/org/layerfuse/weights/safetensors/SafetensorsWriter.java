package org.layerfuse.weights.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.layerfuse.bert.Tensor;

/**
 * Writes float32 tensors as a safetensors file, as Hugging Face's library does: the JSON header
 * (with {@code "__metadata__": {"format": "pt"}} by default) padded with spaces so the data
 * buffer starts at a multiple of 8 bytes, then each tensor's little-endian bytes in the given
 * order. Tensors are fetched one at a time, so a model can be exported without holding a second
 * copy of all its weights. The file is written beside the target under a temporary name, synced,
 * and moved into place: on any failure the target is untouched and the temporary file removed.
 */
public final class SafetensorsWriter {

    /** A tensor to write: its data is asked for only when its turn comes. */
    public record Entry(String name, long[] shape, Supplier<float[]> data) {
        public Entry {
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("tensor '" + name + "' has negative dimension in shape "
                            + Arrays.toString(shape));
                }
            }
        }

        public static Entry of(String name, Tensor t) {
            return new Entry(name, t.shape(), t::data);
        }

        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    public static final Map<String, String> PYTORCH_METADATA = Map.of("format", "pt");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK_FLOATS = 1 << 18;

    private SafetensorsWriter() {
    }

    /** Writes the tensors in the map's iteration order, with {@code {"format": "pt"}} metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) {
        List<Entry> entries = new ArrayList<>();
        tensors.forEach((name, t) -> entries.add(Entry.of(name, t)));
        write(file, entries, PYTORCH_METADATA);
    }

    /** Writes the entries in this order with this {@code __metadata__}. */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) {
        byte[] header = header(entries, metadata);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(4 * CHUNK_FLOATS, 8 + header.length))
                        .order(ByteOrder.LITTLE_ENDIAN);
                buf.putLong(header.length).put(header).flip();
                writeFully(ch, buf);
                for (Entry e : entries) {
                    float[] data = e.data().get();
                    if (data == null || data.length != e.elementCount()) {
                        throw new IllegalArgumentException(file + ": tensor '" + e.name() + "' has shape "
                                + Arrays.toString(e.shape()) + " = " + e.elementCount() + " values but its data has "
                                + (data == null ? "none" : data.length));
                    }
                    FloatBuffer floats = buf.clear().asFloatBuffer();
                    for (int from = 0; from < data.length; from += CHUNK_FLOATS) {
                        int n = Math.min(CHUNK_FLOATS, data.length - from);
                        floats.clear();
                        floats.put(data, from, n);
                        buf.clear().limit(4 * n);
                        writeFully(ch, buf);
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": write failed: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    System.err.println("could not delete the temporary file " + tmp + ": " + e.getMessage());
                }
            }
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (Entry e : entries) {
            if (!names.add(e.name())) {
                throw new IllegalArgumentException("tensor '" + e.name() + "' is given twice");
            }
            long end = offset + 4 * e.elementCount();
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", SafetensorsDtype.F32.name());
            var shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        if (padded > SafetensorsReader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the header would be " + padded + " bytes, over the "
                    + SafetensorsReader.MAX_HEADER_BYTES + "-byte limit readers enforce");
        }
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
