package org.layerfuse.weights.tf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * TensorFlow TensorBundles as outside bytes. {@code levelDbTable}: the index alone (LevelDB table
 * of BundleEntryProto). {@code tensorBundle}: an index and its data shard, every tensor read and
 * checksummed. Either succeeds or an IllegalArgumentException names the file (and the tensor).
 * An input of {@code tensorBundle} is a 4-byte big-endian index length, the index, then the shard.
 */
class TensorBundleFuzzTest {

    private static final Path DIR = FormatErrorContract.scratchFile("bundle");
    private static final Path PREFIX = DIR.resolve("variables");

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void levelDbTable(byte[] input) {
        FormatErrorContract.check("fuzz.index", () -> LevelDbTable.read(ByteBuffer.wrap(input), "fuzz.index"));
    }

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void tensorBundle(byte[] input) throws Exception {
        int split = input.length < 4 ? 0 : (int) Math.min(ByteBuffer.wrap(input).getInt() & 0xffffffffL,
                input.length - 4L);
        byte[] index = input.length < 4 ? input : Arrays.copyOfRange(input, 4, 4 + split);
        byte[] data = input.length < 4 ? new byte[0] : Arrays.copyOfRange(input, 4 + split, input.length);
        Files.createDirectories(DIR);
        Files.write(Path.of(PREFIX + ".index"), index);
        Files.write(Path.of(PREFIX + ".data-00000-of-00001"), data);
        FormatErrorContract.check(PREFIX.toString(), () -> {
            try (TensorBundleReader r = TensorBundleReader.open(PREFIX)) {
                r.verifyAll();
                for (String name : r.entries().keySet()) {
                    r.readFloat(name);
                }
            }
        });
    }
}
