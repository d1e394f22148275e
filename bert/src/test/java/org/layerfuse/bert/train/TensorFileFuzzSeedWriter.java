package org.layerfuse.bert.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes the seeds of {@link TensorFileFuzzTest} with {@link TensorFile#write}. Runs only when asked
 * ({@code -Dlayerfuse.writeFuzzSeeds=true}).
 */
@EnabledIfSystemProperty(named = "layerfuse.writeFuzzSeeds", matches = "true")
class TensorFileFuzzSeedWriter {

    @Test
    void writeSeeds() {
        Backend.init();
        Path dir = Path.of("src/test/resources/org/layerfuse/bert/train/TensorFileFuzzTestInputs/tensorFile");
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        arrays.put("layer.0.attention.self.query.kernel", Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}}));
        arrays.put("layer.0.attention.self.query.bias", Nd4j.createFromArray(new float[] {0.5f, -0.5f}));
        arrays.put("step", Nd4j.createFromArray(new long[] {3}));
        TensorFile.write(dir.resolve("model-step-001.bin"), "1101", arrays);
        TensorFile.write(dir.resolve("empty.bin"), "", Map.of());
    }
}
