package org.layerfuse.weights;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the seed inputs of this module's fuzz targets from our own writers, into
 * {@code src/test/resources} where Jazzer looks for them. Runs only when asked:
 * {@code mvn -pl weights-import -am test -Dtest=FuzzSeedWriter* -Dlayerfuse.writeFuzzSeeds=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "layerfuse.writeFuzzSeeds", matches = "true")
public class FuzzSeedWriter {

    static final Path RESOURCES = Path.of("src/test/resources/org/layerfuse/weights");

    @Test
    void writeSeeds() throws Exception {
        org.layerfuse.weights.onnx.FuzzSeeds.write(RESOURCES.resolve("onnx/OnnxModelReaderFuzzTestInputs/onnxModel"));
        org.layerfuse.weights.tf.FuzzSeeds.write(RESOURCES.resolve("tf/TensorBundleFuzzTestInputs"));
        org.layerfuse.weights.safetensors.FuzzSeeds.write(
                RESOURCES.resolve("safetensors/SafetensorsReaderFuzzTestInputs/safetensors"));
    }

    public static void write(Path dir, String name, byte[] bytes) throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }

    public static byte[] concat(byte[] index, byte[] data) {
        return ByteBuffer.allocate(4 + index.length + data.length).putInt(index.length).put(index).put(data).array();
    }
}
