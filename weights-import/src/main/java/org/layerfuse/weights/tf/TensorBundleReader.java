package org.layerfuse.weights.tf;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.layerfuse.bert.Tensor;

/**
 * Reads a TensorFlow checkpoint in the TensorBundle format (what {@code tf.train.Saver} V2 and
 * SavedModel's {@code variables/} hold): {@code <prefix>.index} and the data shards
 * {@code <prefix>.data-0000N-of-0000M}.
 *
 * <p>The index is a {@link LevelDbTable}: the empty key holds a {@code BundleHeaderProto}
 * (num_shards = 1, endianness = 2, version = 3), every other key is a tensor name whose value is
 * a {@link BundleEntry}. A shard is raw tensors back to back; an entry gives its shard, byte
 * offset and size and the masked CRC32C of those bytes. All entries are checked when the bundle
 * is opened (known type, byte count = elements × width, bytes inside an existing shard), before
 * any tensor is read; reading a tensor memory-maps its bytes and verifies the CRC first, so a
 * corrupt shard never yields numbers. Errors name the file and the tensor.
 *
 * <p>Float tensors ({@code DT_FLOAT}) are read as {@link Tensor}s; any fixed-width type can be
 * read as raw little-endian bytes. Big-endian bundles and partitioned (sliced) variables are
 * refused.
 */
public final class TensorBundleReader implements AutoCloseable {

    private static final int HEADER_NUM_SHARDS = 1, HEADER_ENDIANNESS = 2;
    private static final int ENTRY_DTYPE = 1, ENTRY_SHAPE = 2, ENTRY_SHARD_ID = 3, ENTRY_OFFSET = 4, ENTRY_SIZE = 5,
            ENTRY_CRC32C = 6, ENTRY_SLICES = 7;
    private static final int SHAPE_DIM = 2, SHAPE_UNKNOWN_RANK = 3, DIM_SIZE = 1;

    private final Path indexFile;
    private final int numShards;
    private final Map<String, BundleEntry> entries;
    private final List<Path> shardFiles;
    private final List<FileChannel> shards;

    private TensorBundleReader(Path indexFile, int numShards, Map<String, BundleEntry> entries, List<Path> shardFiles,
                               List<FileChannel> shards) {
        this.indexFile = indexFile;
        this.numShards = numShards;
        this.entries = entries;
        this.shardFiles = shardFiles;
        this.shards = shards;
    }

    /**
     * Opens the checkpoint with this prefix ({@code .../variables/variables} in a SavedModel):
     * reads and checks the index, opens the shards.
     */
    public static TensorBundleReader open(Path prefix) {
        Path index = Path.of(prefix + ".index");
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException(index + ": no such file; expected a TensorFlow checkpoint prefix such"
                    + " as <savedModel>/variables/variables, with <prefix>.index beside its data shards");
        }
        Map<String, byte[]> table = LevelDbTable.read(index);
        byte[] header = table.remove("");
        if (header == null) {
            throw new IllegalArgumentException(index + ": no BundleHeaderProto (the empty key); not a TensorFlow"
                    + " checkpoint index");
        }
        int numShards = header(index, header);
        Map<String, BundleEntry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : table.entrySet()) {
            entries.put(e.getKey(), entry(index, e.getKey(), e.getValue()));
        }
        List<Path> shardFiles = new ArrayList<>();
        for (int i = 0; i < numShards; i++) {
            shardFiles.add(Path.of(String.format(Locale.ROOT, "%s.data-%05d-of-%05d", prefix, i, numShards)));
        }
        List<FileChannel> channels = new ArrayList<>();
        try {
            long[] lengths = new long[numShards];
            for (int i = 0; i < numShards; i++) {
                Path f = shardFiles.get(i);
                if (!Files.isRegularFile(f)) {
                    throw new IllegalArgumentException(f + ": data shard " + i + " of " + numShards
                            + " named by " + index + " is missing");
                }
                channels.add(FileChannel.open(f, StandardOpenOption.READ));
                lengths[i] = channels.get(i).size();
            }
            for (BundleEntry e : entries.values()) {
                check(index, e, numShards, shardFiles, lengths);
            }
        } catch (IOException | RuntimeException e) {
            closeAll(channels, e);
            if (e instanceof IOException io) {
                throw new UncheckedIOException(prefix + ": cannot open the data shards: " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
        return new TensorBundleReader(index, numShards, Collections.unmodifiableMap(entries),
                List.copyOf(shardFiles), channels);
    }

    /** The SavedModel's checkpoint: {@code <dir>/variables/variables}. */
    public static TensorBundleReader openSavedModel(Path savedModelDir) {
        return open(savedModelDir.resolve("variables").resolve("variables"));
    }

    private static int header(Path index, byte[] bytes) {
        int numShards = 0;
        long endianness = 0;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case HEADER_NUM_SHARDS -> numShards = in.readInt32();
                    case HEADER_ENDIANNESS -> endianness = in.readEnum();
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(index + ": corrupt BundleHeaderProto: " + e.getMessage(), e);
        }
        if (endianness != 0) {
            throw new IllegalArgumentException(index + ": a big-endian checkpoint (BundleHeaderProto.endianness = "
                    + endianness + "); only little-endian is supported");
        }
        if (numShards < 1 || numShards > 99_999) {
            throw new IllegalArgumentException(index + ": BundleHeaderProto.num_shards = " + numShards
                    + ", expected 1 to 99999");
        }
        return numShards;
    }

    private static BundleEntry entry(Path index, String name, byte[] bytes) {
        int dtypeCode = 0;
        List<Long> dims = new ArrayList<>();
        boolean unknownRank = false;
        int shard = 0;
        long offset = 0;
        long size = 0;
        int crc = 0;
        int slices = 0;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case ENTRY_DTYPE -> dtypeCode = in.readEnum();
                    case ENTRY_SHAPE -> {
                        int old = in.pushLimit(in.readRawVarint32());
                        while (!in.isAtEnd()) {
                            int t = in.readTag();
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case SHAPE_DIM -> dims.add(dimSize(in));
                                case SHAPE_UNKNOWN_RANK -> unknownRank = in.readBool();
                                default -> in.skipField(t);
                            }
                        }
                        in.popLimit(old);
                    }
                    case ENTRY_SHARD_ID -> shard = in.readInt32();
                    case ENTRY_OFFSET -> offset = in.readInt64();
                    case ENTRY_SIZE -> size = in.readInt64();
                    case ENTRY_CRC32C -> crc = in.readFixed32();
                    case ENTRY_SLICES -> {
                        slices++;
                        in.skipField(tag);
                    }
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(index + ": tensor '" + name + "': corrupt BundleEntryProto: "
                    + e.getMessage(), e);
        }
        TfDataType dtype = TfDataType.ofCode(dtypeCode);
        if (dtype == null || dtype == TfDataType.DT_INVALID) {
            throw new IllegalArgumentException(index + ": tensor '" + name + "' has unknown TensorFlow dtype "
                    + dtypeCode);
        }
        if (unknownRank) {
            throw new IllegalArgumentException(index + ": tensor '" + name + "' has a shape of unknown rank");
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
            if (shape[i] < 0) {
                throw new IllegalArgumentException(index + ": tensor '" + name + "' has dimension " + i + " = "
                        + shape[i] + "; a stored tensor needs a fully known shape");
            }
        }
        return new BundleEntry(name, dtype, shape, shard, offset, size, crc, slices);
    }

    private static long dimSize(CodedInputStream in) throws IOException {
        int old = in.pushLimit(in.readRawVarint32());
        long size = 0;
        while (!in.isAtEnd()) {
            int t = in.readTag();
            if (WireFormat.getTagFieldNumber(t) == DIM_SIZE) {
                size = in.readInt64();
            } else {
                in.skipField(t);
            }
        }
        in.popLimit(old);
        return size;
    }

    /** Type, byte count and position of an entry against the shard files, before anything is read. */
    private static void check(Path index, BundleEntry e, int numShards, List<Path> shardFiles, long[] lengths) {
        String tensor = "tensor '" + e.name() + "' " + e.dtype() + Arrays.toString(e.shape());
        if (e.shardId() < 0 || e.shardId() >= numShards) {
            throw new IllegalArgumentException(index + ": " + tensor + " is in shard " + e.shardId() + ", but the"
                    + " checkpoint has " + numShards + " shard(s)");
        }
        long elements;
        try {
            elements = e.elementCount();
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException(index + ": " + tensor + " has an impossible element count");
        }
        if (e.slices() == 0 && e.dtype().byteWidth() > 0 && e.size() != elements * e.dtype().byteWidth()) {
            throw new IllegalArgumentException(index + ": " + tensor + " has " + elements + " elements of "
                    + e.dtype().byteWidth() + " bytes = " + elements * e.dtype().byteWidth() + " bytes, but its entry says "
                    + e.size() + " bytes");
        }
        long length = lengths[e.shardId()];
        if (e.offset() < 0 || e.size() < 0 || e.offset() > length - e.size()) {
            throw new IllegalArgumentException(shardFiles.get(e.shardId()) + ": " + tensor + " needs bytes ["
                    + e.offset() + ", " + (e.offset() + e.size()) + ") but the file has " + length
                    + " bytes (truncated?)");
        }
    }

    public Path indexFile() {
        return indexFile;
    }

    public int numShards() {
        return numShards;
    }

    /** Every tensor entry by name, in the index's (sorted) order. */
    public Map<String, BundleEntry> entries() {
        return entries;
    }

    public BundleEntry entry(String name) {
        BundleEntry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(indexFile + ": no tensor '" + name + "' in the checkpoint ("
                    + entries.size() + " tensors)");
        }
        return e;
    }

    /**
     * A tensor's bytes, little-endian, memory-mapped and CRC-checked. For any type; strings and
     * other variable-width types come in TensorFlow's own encoding.
     */
    public ByteBuffer readRaw(String name) {
        BundleEntry e = entry(name);
        if (e.slices() > 0) {
            throw new IllegalArgumentException(indexFile + ": tensor '" + name + "' is a partitioned variable ("
                    + e.slices() + " slices); partitioned checkpoints are not supported");
        }
        Path shard = shardFiles.get(e.shardId());
        ByteBuffer bytes;
        try {
            bytes = shards.get(e.shardId()).map(FileChannel.MapMode.READ_ONLY, e.offset(), e.size());
        } catch (IOException ex) {
            throw new UncheckedIOException(shard + ": cannot map tensor '" + name + "': " + ex.getMessage(), ex);
        }
        int actual = MaskedCrc32c.of(bytes);
        if (actual != e.crc32c()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: tensor '%s' (bytes [%d, %d)) fails its"
                            + " CRC32C check: stored 0x%08x, computed 0x%08x; the data file is corrupt", shard, name,
                    e.offset(), e.offset() + e.size(), e.crc32c(), actual));
        }
        return bytes.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A {@code DT_FLOAT} tensor, CRC-checked. */
    public Tensor readFloat(String name) {
        BundleEntry e = entry(name);
        if (e.dtype() != TfDataType.DT_FLOAT) {
            throw new IllegalArgumentException(indexFile + ": tensor '" + name + "' is " + e.dtype()
                    + ", not DT_FLOAT; read it with readRaw");
        }
        if (e.elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(indexFile + ": tensor '" + name + "' has " + e.elementCount()
                    + " elements, more than a Java array holds");
        }
        float[] data = new float[(int) e.elementCount()];
        readRaw(name).asFloatBuffer().get(data);
        return new Tensor(e.shape(), data);
    }

    /** Checks every tensor's CRC32C; returns the number of bytes checked. */
    public long verifyAll() {
        long bytes = 0;
        for (BundleEntry e : entries.values()) {
            if (e.slices() == 0) {
                bytes += readRaw(e.name()).remaining();
            }
        }
        return bytes;
    }

    @Override
    public void close() {
        closeAll(shards, null);
    }

    private static void closeAll(List<FileChannel> channels, Exception primary) {
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
