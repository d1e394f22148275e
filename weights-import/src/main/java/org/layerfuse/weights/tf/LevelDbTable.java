package org.layerfuse.weights.tf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads a LevelDB-format table (an "SSTable"), the format of TensorFlow's checkpoint index
 * {@code variables.index}, into an ordered map of UTF-8 keys to values.
 *
 * <p>Layout: data blocks, a metaindex block, an index block, then a 48-byte footer holding the
 * metaindex and index block handles (varint64 offset and size each, zero-padded to 40 bytes) and
 * the magic {@code 0xdb4775248b80fb57} (little-endian). The index block maps a separator key to
 * each data block's handle. Every block is followed by a 5-byte trailer: a compression type
 * (0 = none, 1 = snappy) and the masked CRC32C of the block's bytes and the type byte. Inside a
 * block, entries are {@code varint32 shared, varint32 nonShared, varint32 valueLength,
 * key[shared..], value}, with a key sharing {@code shared} leading bytes with the previous one;
 * the block ends with an array of {@code uint32} restart offsets and their {@code uint32} count.
 *
 * <p>Every handle, length and restart offset is checked against the file before it is followed,
 * every block's CRC is verified, and keys must be strictly increasing, so a truncated or corrupt
 * file fails with a message naming it. Snappy-compressed blocks are refused (TensorFlow writes
 * checkpoint indexes uncompressed).
 */
public final class LevelDbTable {

    public static final long MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER_LENGTH = 48;
    static final int BLOCK_TRAILER_LENGTH = 5;
    private static final long MAX_INDEX_BYTES = 1L << 30;

    private final String source;
    private final ByteBuffer file;

    private LevelDbTable(String source, ByteBuffer file) {
        this.source = source;
        this.file = file.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The table's entries in key order. */
    public static Map<String, byte[]> read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_INDEX_BYTES) {
                throw new IllegalArgumentException(file + ": " + size + " bytes is too large for a checkpoint index"
                        + " (at most " + MAX_INDEX_BYTES + " bytes expected)");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        return read(ByteBuffer.wrap(bytes), file.toString());
    }

    /** The entries of a table held in memory (position 0 to limit); {@code source} names it in errors. */
    public static Map<String, byte[]> read(ByteBuffer table, String source) {
        return new LevelDbTable(source, table.slice()).entries();
    }

    private Map<String, byte[]> entries() {
        int length = file.limit();
        if (length < FOOTER_LENGTH) {
            throw error("only " + length + " bytes, shorter than the " + FOOTER_LENGTH
                    + "-byte LevelDB footer (truncated file?)");
        }
        long magic = file.getLong(length - 8);
        if (magic != MAGIC) {
            throw error(String.format(Locale.ROOT, "not a LevelDB table (TensorFlow checkpoint index): the footer"
                    + " magic is 0x%016x, expected 0x%016x (truncated or not a variables.index file?)", magic, MAGIC));
        }
        ByteBuffer footer = file.duplicate().position(length - FOOTER_LENGTH).limit(length - 8);
        BlockHandle metaindex = handle(footer, "the footer's metaindex handle");
        BlockHandle index = handle(footer, "the footer's index handle");
        block(metaindex, "metaindex block"); // checked (bounds, CRC) though checkpoints keep nothing in it

        // Index keys are separators (possibly shortened, not always UTF-8): only their handles matter.
        List<byte[][]> dataBlocks = new ArrayList<>();
        parseBlock(block(index, "index block"), "index block", index, new byte[][] {null}, dataBlocks::add);
        Map<String, byte[]> out = new LinkedHashMap<>();
        byte[][] lastKey = {null};
        for (int n = 0; n < dataBlocks.size(); n++) {
            String what = "data block #" + n;
            BlockHandle data = handle(ByteBuffer.wrap(dataBlocks.get(n)[1]), "the index entry of " + what);
            parseBlock(block(data, what), what, data, lastKey, kv -> out.put(utf8(kv[0], what), kv[1]));
        }
        return out;
    }

    /** A block's position and length in the file, its trailer excluded. */
    private record BlockHandle(long offset, long size) {
    }

    private BlockHandle handle(ByteBuffer in, String what) {
        long offset = varint64(in, what);
        long size = varint64(in, what);
        long room = file.limit() - FOOTER_LENGTH - BLOCK_TRAILER_LENGTH;
        if (offset < 0 || size < 0 || offset > room || size > room - offset) {
            throw error(what + " points at bytes [" + offset + ", " + (offset + size) + ") plus a "
                    + BLOCK_TRAILER_LENGTH + "-byte trailer, beyond the " + (file.limit() - FOOTER_LENGTH)
                    + " bytes before the footer (truncated file?)");
        }
        return new BlockHandle(offset, size);
    }

    /** The block's contents after checking its trailer: compression type and masked CRC32C. */
    private ByteBuffer block(BlockHandle h, String what) {
        int start = (int) h.offset;
        int end = (int) (h.offset + h.size);
        int stored = file.getInt(end + 1);
        int actual = MaskedCrc32c.of(file.duplicate().position(start).limit(end + 1));
        if (stored != actual) {
            throw error(String.format(Locale.ROOT, "%s at offset %d: CRC32C mismatch (stored 0x%08x, computed 0x%08x);"
                    + " the file is corrupt", what, h.offset, stored, actual));
        }
        int type = file.get(end) & 0xff;
        if (type == 1) {
            throw error(what + " is snappy-compressed; only uncompressed tables (type 0) are supported");
        }
        if (type != 0) {
            throw error(what + " has unknown compression type " + type + " (0 = none, 1 = snappy)");
        }
        return file.duplicate().position(start).limit(end).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Decodes a block's entries in order, passing each {key, value} on. {@code lastKey[0]} carries the
     * previous key across blocks so that key order is checked over the whole table.
     */
    private void parseBlock(ByteBuffer b, String what, BlockHandle h, byte[][] lastKey, Consumer<byte[][]> sink) {
        int size = b.limit();
        if (size < 4) {
            throw error(what + " at offset " + h.offset + " has " + size + " bytes, too short for its restart count");
        }
        long restarts = Integer.toUnsignedLong(b.getInt(size - 4));
        if (restarts == 0 || restarts > (size - 4) / 4) {
            throw error(what + " at offset " + h.offset + " claims " + restarts + " restart points, impossible in "
                    + size + " bytes");
        }
        int entriesEnd = (int) (size - 4 - 4 * restarts);
        for (int i = 0; i < restarts; i++) {
            long r = Integer.toUnsignedLong(b.getInt(entriesEnd + 4 * i));
            if (r >= Math.max(1, entriesEnd)) {
                throw error(what + " at offset " + h.offset + ": restart point " + i + " = " + r
                        + " lies outside its " + entriesEnd + " bytes of entries");
            }
        }
        ByteBuffer in = b.duplicate().limit(entriesEnd);
        byte[] key = new byte[0];
        boolean first = true;
        while (in.hasRemaining()) {
            String where = what + " at offset " + h.offset + ", entry at byte " + in.position();
            long shared = varint32(in, where);
            long nonShared = varint32(in, where);
            long valueLength = varint32(in, where);
            if (shared > key.length || (first && shared > 0)) {
                throw error(where + " shares " + shared + " bytes with a previous key of " + key.length + " bytes");
            }
            if (nonShared + valueLength > in.remaining()) {
                throw error(where + " needs " + (nonShared + valueLength) + " bytes but only " + in.remaining()
                        + " remain in the block (truncated or corrupt)");
            }
            byte[] next = Arrays.copyOf(key, (int) (shared + nonShared));
            in.get(next, (int) shared, (int) nonShared);
            byte[] value = new byte[(int) valueLength];
            in.get(value);
            if (lastKey[0] != null && Arrays.compareUnsigned(lastKey[0], next) >= 0) {
                throw error(where + ": its key does not sort after the previous one; keys must be strictly"
                        + " increasing (corrupt table)");
            }
            key = next;
            lastKey[0] = next;
            first = false;
            sink.accept(new byte[][] {next, value});
        }
    }

    private String utf8(byte[] key, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            throw error(what + ": a key is not valid UTF-8 (corrupt table?): " + Arrays.toString(key));
        }
    }

    private long varint32(ByteBuffer in, String what) {
        long v = varint64(in, what);
        if (v > 0xffffffffL) {
            throw error(what + ": varint32 out of range");
        }
        return v;
    }

    private long varint64(ByteBuffer in, String what) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.hasRemaining()) {
                throw error(what + ": varint runs past the end of its bytes (truncated or corrupt)");
            }
            int b = in.get() & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if (b < 0x80) {
                return result;
            }
        }
        throw error(what + ": varint longer than 10 bytes (corrupt)");
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(source + ": " + message);
    }
}
