package org.layerfuse.bert.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named ND4J arrays in one file, for training checkpoints: a magic number, a header string
 * (e.g. JSON metadata), a count, then (name, ND4J binary array) pairs. Written to a temporary file and moved into place, so a
 * crash never leaves a half-written checkpoint.
 */
public final class TensorFile {

    private static final int MAGIC = 0x4C465431; // "LFT1"

    /** What a file holds. */
    public record Contents(String header, Map<String, INDArray> arrays) {
    }

    private TensorFile() {
    }

    public static void write(Path file, String header, Map<String, INDArray> arrays) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
                out.writeInt(MAGIC);
                byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeInt(h.length);
                out.write(h);
                out.writeInt(arrays.size());
                for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                    out.writeUTF(e.getKey());
                    Nd4j.write(e.getValue(), out);
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error matters more
            }
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    public static Contents read(Path file) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        String header;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException(file + ": not a LayerFuse tensor file (bad magic number)");
            }
            int headerLength = in.readInt();
            if (headerLength < 0 || headerLength > 16 << 20) {
                throw new IllegalArgumentException(file + ": implausible header length " + headerLength);
            }
            header = new String(in.readNBytes(headerLength), java.nio.charset.StandardCharsets.UTF_8);
            int n = in.readInt();
            if (n < 0 || n > 1_000_000) {
                throw new IllegalArgumentException(file + ": implausible tensor count " + n);
            }
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                out.put(name, Nd4j.read(in));
            }
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + ": truncated after " + out.size() + " tensors", e);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e.getMessage(), e);
        }
        return new Contents(header, out);
    }
}
