package org.layerfuse.weights.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Tensor;

/** The TensorBundle reader on small checkpoints written by the independent {@link TinyBundle}, intact and damaged. */
class TensorBundleReaderTest {

    @TempDir
    Path dir;

    private static List<TinyBundle.Var> vars() {
        SplittableRandom r = new SplittableRandom(7);
        List<TinyBundle.Var> vars = new ArrayList<>();
        // Names sharing long prefixes, so keys are prefix-compressed across several blocks.
        for (String n : List.of("model/a/kernel", "model/a/bias", "model/b/kernel", "model/b/bias", "model/c/gamma",
                "model/c/beta", "model/d/ünïcode", "scalar")) {
            long[] shape = n.endsWith("kernel") ? new long[] {3, 5} : n.equals("scalar") ? new long[0] : new long[] {5};
            float[] v = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            vars.add(TinyBundle.Var.floats(n, v, shape));
        }
        vars.add(TinyBundle.Var.ints("model/step", new int[] {42, -1}, 2));
        return vars;
    }

    private Path writeTiny(TinyBundle.Options options) throws IOException {
        Path prefix = dir.resolve("variables");
        TinyBundle.write(prefix, vars(), options);
        return prefix;
    }

    @Test
    void readsEveryTensorOfAMultiBlockTable() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        assertTrue(Files.size(Path.of(prefix + ".index")) > 3 * 120, "the index spans several data blocks");
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            List<TinyBundle.Var> expected = vars();
            List<String> sorted = expected.stream().map(TinyBundle.Var::name).sorted().toList();
            assertEquals(sorted, List.copyOf(r.entries().keySet()), "names in byte order, header excluded");
            for (TinyBundle.Var v : expected) {
                BundleEntry e = r.entry(v.name());
                assertArrayEquals(v.shape(), e.shape(), v.name());
                if (v.dtype() == 1) {
                    assertEquals(TfDataType.DT_FLOAT, e.dtype());
                    Tensor t = r.readFloat(v.name());
                    float[] want = new float[v.data().length / 4];
                    ByteBuffer.wrap(v.data()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(want);
                    assertArrayEquals(want, t.data(), v.name());
                    assertArrayEquals(v.shape(), t.shape());
                } else {
                    assertEquals(TfDataType.DT_INT32, e.dtype());
                    ByteBuffer raw = r.readRaw(v.name());
                    assertEquals(42, raw.getInt(0));
                    assertEquals(-1, raw.getInt(4));
                    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                            () -> r.readFloat(v.name()));
                    assertTrue(ex.getMessage().contains("DT_INT32") && ex.getMessage().contains("model/step"),
                            ex.getMessage());
                }
            }
            assertEquals(vars().stream().mapToLong(v -> v.data().length).sum(), r.verifyAll());
        }
    }

    @Test
    void oneBlockAndNoPrefixSharingReadTheSame() throws IOException {
        Path prefix = writeTiny(new TinyBundle.Options(1, 1 << 20, 0, 1));
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            assertEquals(vars().size(), r.entries().size());
            assertEquals(-1, r.readRaw("model/step").getInt(4));
        }
    }

    @Test
    void truncatedIndexNamesTheFile() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        Path index = Path.of(prefix + ".index");
        byte[] bytes = Files.readAllBytes(index);
        for (int keep : new int[] {bytes.length - 3, bytes.length / 2, 20}) {
            Files.write(index, Arrays.copyOf(bytes, keep));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorBundleReader.open(prefix));
            assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void badMagicIsRejected() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        Path index = Path.of(prefix + ".index");
        byte[] bytes = Files.readAllBytes(index);
        bytes[bytes.length - 1] ^= 0x01;
        Files.write(index, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBundleReader.open(prefix));
        assertTrue(e.getMessage().contains(index.toString()) && e.getMessage().contains("magic")
                && e.getMessage().contains("0xdb4775248b80fb57"), e.getMessage());
    }

    @Test
    void blockHandlesOutsideTheFileAreRejected() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        Path index = Path.of(prefix + ".index");
        byte[] bytes = Files.readAllBytes(index);
        for (long[] handle : new long[][] {{1L << 62, 1L << 62}, {0, bytes.length}, {bytes.length, 1}}) {
            java.io.ByteArrayOutputStream footer = new java.io.ByteArrayOutputStream();
            TinyBundle.varint(footer, handle[0]);
            TinyBundle.varint(footer, handle[1]);
            byte[] damaged = bytes.clone();
            System.arraycopy(footer.toByteArray(), 0, damaged, bytes.length - 48, footer.size());
            Files.write(index, damaged);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorBundleReader.open(prefix));
            assertTrue(e.getMessage().startsWith(index.toString()) && e.getMessage().contains("metaindex handle")
                    && e.getMessage().contains("beyond"), e.getMessage());
        }
    }

    @Test
    void corruptIndexBlockFailsItsCrc() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        Path index = Path.of(prefix + ".index");
        byte[] bytes = Files.readAllBytes(index);
        bytes[5] ^= 0x10; // inside the header entry, in the first data block
        Files.write(index, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBundleReader.open(prefix));
        assertTrue(e.getMessage().contains(index.toString()) && e.getMessage().contains("CRC32C mismatch")
                && e.getMessage().contains("data block"), e.getMessage());
    }

    @Test
    void snappyBlocksAreRefusedClearly() throws IOException {
        Path prefix = writeTiny(new TinyBundle.Options(2, 120, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBundleReader.open(prefix));
        assertTrue(e.getMessage().contains(prefix + ".index") && e.getMessage().contains("snappy-compressed"),
                e.getMessage());
    }

    @Test
    void truncatedDataFileNamesFileAndTensor() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        Path data = Path.of(prefix + ".data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(data);
        Files.write(data, Arrays.copyOf(bytes, bytes.length - 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBundleReader.open(prefix));
        // The last variable written sits at the end of the shard.
        assertTrue(e.getMessage().contains(data.toString()) && e.getMessage().contains("'model/step'")
                && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void flippedDataByteFailsThatTensorsCrcOnly() throws IOException {
        Path prefix = writeTiny(TinyBundle.Options.defaults());
        Path data = Path.of(prefix + ".data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(data);
        long offset;
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            offset = r.entry("model/b/kernel").offset();
        }
        bytes[(int) offset + 9] ^= 0x40;
        Files.write(data, bytes);
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> r.readFloat("model/b/kernel"));
            assertTrue(e.getMessage().contains(data.toString()) && e.getMessage().contains("'model/b/kernel'")
                    && e.getMessage().contains("CRC32C"), e.getMessage());
            assertEquals(5, r.readFloat("model/b/bias").size(), "other tensors still read");
            assertThrows(IllegalArgumentException.class, r::verifyAll);
        }
    }

    @Test
    void entrySizeInconsistentWithShapeIsRejected() throws IOException {
        Path prefix = dir.resolve("variables");
        TinyBundle.Var bad = new TinyBundle.Var("w", 1, new long[] {2, 3}, new byte[20]); // 6 floats need 24 bytes
        TinyBundle.write(prefix, List.of(bad), TinyBundle.Options.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBundleReader.open(prefix));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("24") && e.getMessage().contains("20"),
                e.getMessage());
    }

    @Test
    void missingShardAndMissingIndexAreNamed() throws IOException {
        Path prefix = dir.resolve("variables");
        TinyBundle.write(prefix, vars(), new TinyBundle.Options(2, 120, 0, 2)); // header says 2 shards, 1 written
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBundleReader.open(prefix));
        assertTrue(e.getMessage().contains("variables.data-00001-of-00002") && e.getMessage().contains("missing"),
                e.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> TensorBundleReader.open(dir.resolve("nothing")));
        assertTrue(none.getMessage().contains("nothing.index"), none.getMessage());
    }

    @Test
    void maskedCrcMatchesTheBitwiseReference() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : new int[] {0, 1, 9, 1000}) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            assertEquals(TinyBundle.maskedCrc32c(b, 0, n), MaskedCrc32c.of(ByteBuffer.wrap(b)), "n = " + n);
        }
        // CRC-32C check value of "123456789" is 0xe3069283 (RFC 3720 catalogue).
        int unmasked = 0xe3069283;
        int expected = ((unmasked >>> 15) | (unmasked << 17)) + 0xa282ead8;
        assertEquals(expected, MaskedCrc32c.of(ByteBuffer.wrap("123456789".getBytes(StandardCharsets.US_ASCII))));
    }
}
