package org.layerfuse.weights.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.weights.safetensors.SafetensorsReader;
import org.layerfuse.weights.tf.BertBaseFixture;

/** The real BERT-base, imported from its TensorBundle, through a Hugging Face folder and back: bitwise. */
class BertBaseHuggingFaceTest {

    @TempDir
    Path dir;

    @Test
    void tensorBundleToHuggingFaceFolderAndBackIsBitwise() throws Exception {
        BertWeights w = BertBaseFixture.weights();
        Path vocab = BertBaseFixture.savedModelDir().resolve("assets/vocab.txt");
        Path out = dir.resolve("bert-base-uncased");
        long t0 = System.nanoTime();
        HuggingFaceFolderWriter.write(w, vocab, out, false);
        long t1 = System.nanoTime();
        BertWeights back = HuggingFaceFolder.load(out);
        long t2 = System.nanoTime();
        System.out.printf("BERT-base HF folder: write %.2f s, read %.2f s (%.1f MB)%n", (t1 - t0) / 1e9,
                (t2 - t1) / 1e9, Files.size(out.resolve("model.safetensors")) / 1e6);

        assertEquals(w.config(), back.config());
        assertEquals(w.tensors().keySet(), back.tensors().keySet());
        w.tensors().forEach((name, t) -> assertEquals(t, back.get(name), name));
        assertArrayEquals(Files.readAllBytes(vocab), Files.readAllBytes(out.resolve("vocab.txt")));
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("model.safetensors"))) {
            assertEquals(w.tensors().size(), r.entries().size());
            assertArrayEquals(new long[] {3072, 768},
                    r.entry("bert.encoder.layer.0.intermediate.dense.weight").shape(), "HF layout [out, in]");
            assertArrayEquals(w.get(ParamNames.LayerMatrix.INTERMEDIATE.kernel(0)).shape(), new long[] {768, 3072});
        }
    }
}
