package org.layerfuse.weights.safetensors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.Tensor;

/** Seeds of {@link SafetensorsReaderFuzzTest}, written by {@link SafetensorsWriter}. */
public final class FuzzSeeds {

    private FuzzSeeds() {
    }

    public static void write(Path dir) throws Exception {
        Files.createDirectories(dir);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("bert.embeddings.word_embeddings.weight", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        tensors.put("bert.pooler.dense.bias", Tensor.of(new float[] {0.25f, -1}, 2));
        tensors.put("scalar", Tensor.of(new float[] {7}));
        SafetensorsWriter.write(dir.resolve("three-tensors.safetensors"), tensors);
        SafetensorsWriter.write(dir.resolve("with-metadata.safetensors"),
                List.of(SafetensorsWriter.Entry.of("w", Tensor.of(new float[] {1, -1, 0.5f, 2}, 2, 2))),
                SafetensorsWriter.PYTORCH_METADATA);
    }
}
