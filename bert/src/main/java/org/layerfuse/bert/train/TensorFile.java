package org.layerfuse.bert.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named ND4J arrays in one file, for training checkpoints and resumable runs: a magic number, a
 * header string (e.g. JSON metadata), a count, then (name, ND4J binary array) pairs, and (format
 * "LFT2") a CRC32C of every byte before it. Written to a temporary file, flushed to disk and moved
 * into place, so a crash never leaves a half-written checkpoint under the final name; a file
 * damaged anyway (a disk error, a copy cut short) fails its checksum before anything is parsed.
 *
 * <p>Every malformed file raises {@link IllegalArgumentException} naming the file and what is
 * wrong. Files of the older format "LFT1" (no checksum) are refused rather than parsed unchecked:
 * a resumed run recomputes what they held.
 */
public final class TensorFile {

    private static final int MAGIC_V1 = 0x4C465431; // "LFT1": no checksum
    private static final int MAGIC = 0x4C465432; // "LFT2": CRC32C trailer
    private static final int MAX_HEADER = 16 << 20;
    private static final int MAX_TENSORS = 1_000_000;

    /** What a file holds. */
    public record Contents(String header, Map<String, INDArray> arrays) {
    }

    private TensorFile() {
    }

    public static void write(Path file, String header, Map<String, INDArray> arrays) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            CRC32C crc = new CRC32C();
            try (OutputStream raw = Files.newOutputStream(tmp);
                 DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw,
                         1 << 20), crc))) {
                out.writeInt(MAGIC);
                byte[] h = header.getBytes(StandardCharsets.UTF_8);
                out.writeInt(h.length);
                out.write(h);
                out.writeInt(arrays.size());
                for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                    out.writeUTF(e.getKey());
                    writeArray(e.getValue(), out);
                }
                out.flush();
                int sum = (int) crc.getValue();
                out.writeInt(sum);
            }
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error matters more
            }
            throw new UncheckedIOException("could not write " + file + ": " + e, e);
        }
    }

    /**
     * Writes {@code a} exactly as {@code Nd4j.write(a, out)} does (shape buffer, then data buffer:
     * allocation mode, length, type name, elements big-endian), but a float or double buffer's
     * elements in bulk: ND4J writes them one {@code writeFloat} at a time, which took 0.1 s per
     * MiniLM checkpoint (a third of the main command's Java time went to it).
     */
    static void writeArray(INDArray a, DataOutputStream out) throws IOException {
        DataType type = a.dataType();
        DataBuffer data = a.data();
        ByteBuffer nio = (type == DataType.FLOAT || type == DataType.DOUBLE) && !a.isView() && data != null
                && data.length() * type.width() <= Integer.MAX_VALUE ? data.asNio() : null;
        if (nio == null) {
            Nd4j.write(a, out);
            return;
        }
        a.shapeInfoDataBuffer().write(out);
        out.writeUTF(data.allocationMode().name());
        out.writeLong(data.length());
        out.writeUTF(type.name());
        ByteBuffer source = nio.duplicate().order(ByteOrder.nativeOrder());
        source.position(0).limit(Math.toIntExact(data.length() * type.width()));
        byte[] chunk = new byte[1 << 16];
        ByteBuffer big = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);
        while (source.hasRemaining()) {
            int n = Math.min(chunk.length, source.remaining());
            ByteBuffer part = source.slice().limit(n).order(ByteOrder.nativeOrder());
            big.clear();
            if (type == DataType.FLOAT) {
                big.asFloatBuffer().put(part.asFloatBuffer());
            } else {
                big.asDoubleBuffer().put(part.asDoubleBuffer());
            }
            out.write(chunk, 0, n);
            source.position(source.position() + n);
        }
    }

    /**
     * Checks a file's magic number and checksum without parsing its tensors.
     *
     * @throws IllegalArgumentException naming the file when it is truncated, damaged or not a tensor file
     */
    public static void verify(Path file) {
        try {
            long size = Files.size(file);
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
                DataInputStream data = new DataInputStream(in);
                if (size < 8) {
                    throw new IllegalArgumentException(file + ": truncated: " + size + " bytes, not a LayerFuse tensor "
                            + "file");
                }
                int magic = data.readInt();
                if (magic == MAGIC_V1) {
                    throw new IllegalArgumentException(file + ": written by an older LayerFuse without a checksum "
                            + "(format LFT1), so it cannot be verified; delete it to recompute what it held");
                }
                if (magic != MAGIC) {
                    throw new IllegalArgumentException(file + ": not a LayerFuse tensor file (bad magic number at "
                            + "offset 0)");
                }
                CRC32C crc = new CRC32C();
                crc.update(new byte[] {0x4C, 0x46, 0x54, 0x32});
                byte[] buf = new byte[1 << 16];
                long left = size - 8;
                while (left > 0) {
                    int n = data.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new IllegalArgumentException(file + ": truncated while reading");
                    }
                    crc.update(buf, 0, n);
                    left -= n;
                }
                int stored = data.readInt();
                if (stored != (int) crc.getValue()) {
                    throw new IllegalArgumentException(file + ": checksum mismatch (CRC32C stored at offset "
                            + (size - 4) + " is " + Integer.toHexString(stored) + ", the contents give "
                            + Integer.toHexString((int) crc.getValue()) + "): the file is truncated or damaged");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e, e);
        }
    }

    public static Contents read(Path file) {
        verify(file);
        Map<String, INDArray> out = new LinkedHashMap<>();
        String header;
        String reading = "the header";
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            int magic = in.readInt();
            int headerLength = in.readInt();
            if (headerLength < 0 || headerLength > MAX_HEADER) {
                throw new IllegalArgumentException(file + ": implausible header length " + headerLength + " at offset 4");
            }
            byte[] h = in.readNBytes(headerLength);
            if (h.length != headerLength) {
                throw new EOFException();
            }
            header = new String(h, StandardCharsets.UTF_8);
            int n = in.readInt();
            if (n < 0 || n > MAX_TENSORS) {
                throw new IllegalArgumentException(file + ": implausible tensor count " + n);
            }
            for (int i = 0; i < n; i++) {
                reading = "tensor " + i;
                String name = in.readUTF();
                reading = "tensor " + i + " '" + name + "'";
                out.put(name, Nd4j.read(in));
            }
            if (magic != MAGIC) {
                throw new IllegalArgumentException(file + ": changed while being read (bad magic number)");
            }
            if (in.skipBytes(4) == 4 && in.read() != -1) {
                throw new IllegalArgumentException(file + ": unexpected bytes after its " + n + " tensors");
            }
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + ": truncated in " + reading + " after " + out.size()
                    + " complete tensors", e);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e, e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            // ND4J's array reader trusts its input: only a file with a valid checksum but foreign contents gets here.
            throw new IllegalArgumentException(file + ": malformed " + reading + ": " + e, e);
        }
        return new Contents(header, out);
    }
}
