package org.layerfuse.weights.tf;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal TensorFlow checkpoint writer for tests, written from the format description and
 * independent of the reader: a LevelDB table with prefix-compressed keys, restart points,
 * several data blocks, an index block and a footer, plus one data shard. Its CRC32C is a bitwise
 * loop over the Castagnoli polynomial, not {@code java.util.zip.CRC32C}.
 */
final class TinyBundle {

    /** A variable: TF dtype code, shape and its raw little-endian bytes. */
    record Var(String name, int dtype, long[] shape, byte[] data) {
        static Var floats(String name, float[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Var(name, 1, shape, b.array());
        }

        static Var ints(String name, int[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(values);
            return new Var(name, 3, shape, b.array());
        }
    }

    /** Format knobs, to reach the reader's less common paths. */
    record Options(int restartInterval, int blockSize, int compressionType, int numShards) {
        static Options defaults() {
            return new Options(2, 120, 0, 1);
        }
    }

    private TinyBundle() {
    }

    /** Writes {@code <prefix>.index} and {@code <prefix>.data-00000-of-00001}. */
    static void write(Path prefix, List<Var> vars, Options options) throws IOException {
        Map<String, byte[]> table = new TreeMap<>(Comparator.comparing(TinyBundle::utf8Bytes,
                java.util.Arrays::compareUnsigned));
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        table.put("", header(options.numShards));
        for (Var v : vars) {
            table.put(v.name, entry(v, data.size()));
            data.write(v.data);
        }
        Files.createDirectories(prefix.toAbsolutePath().getParent());
        Files.write(Path.of(prefix + ".index"), table(table, options));
        Files.write(Path.of(prefix + ".data-00000-of-0000" + options.numShards), data.toByteArray());
    }

    static byte[] header(int numShards) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeInt32(1, numShards);
        c.writeEnum(2, 0); // LITTLE
        c.writeTag(3, 2); // version: VersionDef { producer: 1 }
        c.writeUInt32NoTag(2);
        c.writeInt32(1, 1);
        c.flush();
        return out.toByteArray();
    }

    static byte[] entry(Var v, long offset) throws IOException {
        ByteArrayOutputStream shape = new ByteArrayOutputStream();
        CodedOutputStream s = CodedOutputStream.newInstance(shape);
        for (long d : v.shape) {
            ByteArrayOutputStream dim = new ByteArrayOutputStream();
            CodedOutputStream dc = CodedOutputStream.newInstance(dim);
            dc.writeInt64(1, d);
            dc.flush();
            s.writeByteArray(2, dim.toByteArray());
        }
        s.flush();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeEnum(1, v.dtype);
        c.writeByteArray(2, shape.toByteArray());
        if (offset != 0) {
            c.writeInt64(4, offset);
        }
        c.writeInt64(5, v.data.length);
        c.writeFixed32(6, maskedCrc32c(v.data, 0, v.data.length));
        c.flush();
        return out.toByteArray();
    }

    /** A LevelDB table of these sorted entries. */
    static byte[] table(Map<String, byte[]> entries, Options o) throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<byte[][]> index = new ArrayList<>(); // {last key of block, handle}
        BlockBuilder block = new BlockBuilder(o.restartInterval);
        byte[] lastKey = null;
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] key = utf8Bytes(e.getKey());
            block.add(key, e.getValue());
            lastKey = key;
            if (block.size() >= o.blockSize) {
                index.add(new byte[][] {lastKey, writeBlock(file, block.finish(), o.compressionType)});
                block = new BlockBuilder(o.restartInterval);
            }
        }
        if (!block.isEmpty()) {
            index.add(new byte[][] {lastKey, writeBlock(file, block.finish(), o.compressionType)});
        }
        byte[] metaHandle = writeBlock(file, new BlockBuilder(o.restartInterval).finish(), 0);
        BlockBuilder indexBlock = new BlockBuilder(1);
        for (byte[][] kv : index) {
            indexBlock.add(kv[0], kv[1]);
        }
        byte[] indexHandle = writeBlock(file, indexBlock.finish(), 0);
        ByteBuffer footer = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        footer.put(metaHandle).put(indexHandle);
        footer.position(40);
        footer.putInt(0x8b80fb57).putInt(0xdb477524); // magic, low word first
        file.write(footer.array());
        return file.toByteArray();
    }

    /** Appends block + trailer; returns the block's handle (varint offset, varint size). */
    private static byte[] writeBlock(ByteArrayOutputStream file, byte[] block, int type) throws IOException {
        long offset = file.size();
        file.write(block);
        byte[] withType = java.util.Arrays.copyOf(block, block.length + 1);
        withType[block.length] = (byte) type;
        file.write(type);
        int crc = maskedCrc32c(withType, 0, withType.length);
        file.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(crc).array());
        ByteArrayOutputStream handle = new ByteArrayOutputStream();
        varint(handle, offset);
        varint(handle, block.length);
        return handle.toByteArray();
    }

    private static final class BlockBuilder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final List<Integer> restarts = new ArrayList<>(List.of(0));
        private final int interval;
        private byte[] last = new byte[0];
        private int counter;

        BlockBuilder(int interval) {
            this.interval = interval;
        }

        void add(byte[] key, byte[] value) {
            int shared = 0;
            if (counter < interval) {
                while (shared < Math.min(last.length, key.length) && last[shared] == key[shared]) {
                    shared++;
                }
            } else {
                restarts.add(out.size());
                counter = 0;
            }
            varint(out, shared);
            varint(out, key.length - shared);
            varint(out, value.length);
            out.write(key, shared, key.length - shared);
            out.write(value, 0, value.length);
            last = key;
            counter++;
        }

        int size() {
            return out.size();
        }

        boolean isEmpty() {
            return out.size() == 0;
        }

        byte[] finish() {
            ByteBuffer tail = ByteBuffer.allocate(4 * restarts.size() + 4).order(ByteOrder.LITTLE_ENDIAN);
            restarts.forEach(tail::putInt);
            tail.putInt(restarts.size());
            out.write(tail.array(), 0, tail.capacity());
            return out.toByteArray();
        }
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** CRC32C, bit by bit (reflected Castagnoli polynomial 0x82f63b78), then LevelDB's mask. */
    static int maskedCrc32c(byte[] b, int from, int to) {
        int crc = 0xffffffff;
        for (int i = from; i < to; i++) {
            crc ^= b[i] & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
            }
        }
        crc = ~crc;
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    private static byte[] utf8Bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
