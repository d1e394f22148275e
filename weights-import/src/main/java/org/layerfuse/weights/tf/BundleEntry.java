package org.layerfuse.weights.tf;

import java.util.Arrays;

/**
 * One tensor of a TensorFlow checkpoint: a {@code BundleEntryProto} from {@code variables.index}
 * (fields dtype = 1, shape = 2, shard_id = 3, offset = 4, size = 5, crc32c = 6, slices = 7).
 *
 * @param crc32c masked CRC32C of the tensor's {@code size} bytes at {@code offset} in its shard
 * @param slices number of {@code TensorSliceProto}s: non-zero for a partitioned variable, whose
 *               data lives in other entries (not supported)
 */
public record BundleEntry(String name, TfDataType dtype, long[] shape, int shardId, long offset, long size,
                          int crc32c, int slices) {

    public BundleEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
