package org.layerfuse.weights.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.Tensor;
import org.layerfuse.weights.safetensors.SafetensorsReader;
import org.layerfuse.weights.safetensors.SafetensorsWriter;

/** Hugging Face folders on a tiny random BERT: names, transposes, round trips, variants and bad folders. */
class HuggingFaceFolderTest {

    static final BertConfig TINY = new BertConfig(30, 8, 2, 2, 16, Activation.GELU_TANH, 12, 2, 1e-12, -10000.0,
            List.of("ham", "spam"));

    @TempDir
    Path dir;

    /** Every parameter of {@code config} (pooler and head included), random. */
    static BertWeights randomWeights(BertConfig config, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ParamNames.Entry> all = new ArrayList<>(ParamNames.embeddingParams(config));
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            all.addAll(ParamNames.layerParams(config, l));
        }
        all.addAll(ParamNames.poolerParams(config));
        all.addAll(ParamNames.classifierParams(config));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (ParamNames.Entry e : all) {
            long n = 1;
            for (long d : e.shape()) {
                n *= d;
            }
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            tensors.put(e.name(), new Tensor(e.shape(), v));
        }
        return BertWeights.validated(config, tensors, "random");
    }

    @Test
    void writtenFolderHasHuggingFaceNamesAndLayouts() throws IOException {
        BertWeights w = randomWeights(TINY, 1);
        Path vocab = Files.writeString(dir.resolve("my-vocab.txt"), "[PAD]\n[UNK]\n");
        Path out = dir.resolve("model");
        HuggingFaceFolderWriter.write(w, vocab, out, false);

        assertEquals(List.of("config.json", "model.safetensors", "vocab.txt"), names(out));
        assertEquals("[PAD]\n[UNK]\n", Files.readString(out.resolve("vocab.txt")));
        var config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("BertForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals("gelu_new", config.get("hidden_act").asText());
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("model.safetensors"))) {
            assertEquals(w.tensors().size(), r.entries().size());
            assertEquals(r.entries().keySet().stream().sorted().toList(), List.copyOf(r.entries().keySet()));
            // An [in, out] kernel is stored [out, in]: element (o, i) of HF's = element (i, o) of ours.
            Tensor ours = w.get(ParamNames.LayerMatrix.INTERMEDIATE.kernel(1));
            Tensor hf = r.readFloat("bert.encoder.layer.1.intermediate.dense.weight");
            assertArrayEquals(new long[] {16, 8}, hf.shape());
            for (int i = 0; i < 8; i++) {
                for (int o = 0; o < 16; o++) {
                    assertEquals(ours.data()[i * 16 + o], hf.data()[o * 8 + i]);
                }
            }
            assertArrayEquals(new long[] {2, 8}, r.entry("classifier.weight").shape());
            assertEquals(w.get(ParamNames.attentionLnGamma(0)),
                    r.readFloat("bert.encoder.layer.0.attention.output.LayerNorm.weight"));
            assertEquals(w.get(ParamNames.WORD_EMBEDDINGS), r.readFloat("bert.embeddings.word_embeddings.weight"));
        }
    }

    @Test
    void roundTripIsBitwise() throws IOException {
        BertWeights w = randomWeights(TINY, 2);
        Path tokenizer = Files.writeString(dir.resolve("t.json"), "{\"model\": {}}");
        Path first = dir.resolve("first");
        HuggingFaceFolderWriter.write(w, tokenizer, first, false);
        HuggingFaceFolder folder = HuggingFaceFolder.open(first);
        assertEquals(first.resolve("tokenizer.json"), folder.tokenizerFile());
        BertWeights back = folder.load();
        assertEquals(TINY, back.config(), "config, numerics and labels survive");
        assertEquals(w.tensors(), back.tensors());

        Path second = dir.resolve("second");
        HuggingFaceFolderWriter.write(back, folder.tokenizerFile(), second, false);
        assertArrayEquals(Files.readAllBytes(first.resolve("model.safetensors")),
                Files.readAllBytes(second.resolve("model.safetensors")));
        assertEquals(w.tensors(), HuggingFaceFolder.load(second).tensors());
    }

    @Test
    void readsUnprefixedNamesOldLayerNormsAndSkipsHeadsAndBuffers() throws IOException {
        BertConfig encoder = TINY.withLabels(List.of());
        BertWeights w = randomWeights(encoder, 3);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        w.tensors().forEach((ours, t) -> {
            String hf = HuggingFaceParamNames.toHuggingFace(ours).substring("bert.".length());
            hf = hf.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta");
            entries.add(SafetensorsWriter.Entry.of(hf, HuggingFaceParamNames.isMatrix(ours) ? t.transpose() : t));
        });
        entries.add(SafetensorsWriter.Entry.of("cls.predictions.bias", Tensor.of(new float[30], 30)));
        entries.add(SafetensorsWriter.Entry.of("embeddings.position_ids", Tensor.of(new float[12], 1, 12)));
        Path model = Files.createDirectories(dir.resolve("bare"));
        SafetensorsWriter.write(model.resolve("model.safetensors"), entries, Map.of());
        Files.writeString(model.resolve("config.json"), encoder.toJson().toString());
        Files.writeString(model.resolve("vocab.txt"), "[PAD]\n");

        BertWeights back = HuggingFaceFolder.load(model);
        assertEquals(w.tensors(), back.tensors());
        assertEquals(model.resolve("vocab.txt"), HuggingFaceFolder.open(model).tokenizerFile());
    }

    @Test
    void readsShardedWeights() throws IOException {
        BertWeights w = randomWeights(TINY, 4);
        Path one = dir.resolve("one");
        HuggingFaceFolderWriter.write(w, null, one, false);
        Path sharded = Files.createDirectories(dir.resolve("sharded"));
        Files.copy(one.resolve("config.json"), sharded.resolve("config.json"));
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        List<List<SafetensorsWriter.Entry>> shards = List.of(new ArrayList<>(), new ArrayList<>());
        try (SafetensorsReader r = SafetensorsReader.open(one.resolve("model.safetensors"))) {
            for (String name : r.entries().keySet()) {
                int s = name.contains("layer.1.") ? 1 : 0;
                Tensor t = r.readFloat(name);
                shards.get(s).add(SafetensorsWriter.Entry.of(name, t));
                map.put(name, "model-0000" + (s + 1) + "-of-00002.safetensors");
            }
        }
        for (int s = 0; s < 2; s++) {
            SafetensorsWriter.write(sharded.resolve("model-0000" + (s + 1) + "-of-00002.safetensors"), shards.get(s),
                    Map.of("format", "pt"));
        }
        Files.writeString(sharded.resolve("model.safetensors.index.json"), index.toString());
        HuggingFaceFolder folder = HuggingFaceFolder.open(sharded);
        assertEquals(2, folder.weightFiles().size());
        assertNull(folder.tokenizerFile());
        assertEquals(w.tensors(), folder.load().tensors());

        map.put("bert.pooler.dense.bias", "../elsewhere.safetensors");
        Files.writeString(sharded.resolve("model.safetensors.index.json"), index.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.open(sharded));
        assertMessage(e, "model.safetensors.index.json", "'bert.pooler.dense.bias'", "same folder");
    }

    @Test
    void configWithMissingKeysNamesFileAndKey() throws IOException {
        Path model = dir.resolve("model");
        HuggingFaceFolderWriter.write(randomWeights(TINY, 5), null, model, false);
        ObjectNode config = TINY.toJson();
        config.remove("intermediate_size");
        Files.writeString(model.resolve("config.json"), config.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.load(model));
        assertMessage(e, model.resolve("config.json").toString(), "intermediate_size");
    }

    @Test
    void foldersWithoutSafetensorsAreRefusedClearly() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), TINY.toJson().toString());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.open(model)),
                model.toString(), "no model.safetensors");
        Files.write(model.resolve("pytorch_model.bin"), new byte[10]);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.open(model)),
                "pytorch_model.bin", "only safetensors weights are supported");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.open(empty)),
                empty.toString(), "no config.json");
    }

    @Test
    void unknownAndMisshapenTensorsAreNamed() throws IOException {
        Path model = dir.resolve("model");
        BertWeights w = randomWeights(TINY, 6);
        HuggingFaceFolderWriter.write(w, null, model, false);
        Map<String, Tensor> hf = new LinkedHashMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(model.resolve("model.safetensors"))) {
            r.entries().keySet().forEach(n -> hf.put(n, r.readFloat(n)));
        }
        hf.put("lm_head.weight", Tensor.of(new float[4], 2, 2));
        SafetensorsWriter.write(model.resolve("model.safetensors"), hf);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.load(model)),
                "model.safetensors", "'lm_head.weight'");

        hf.remove("lm_head.weight");
        hf.put("bert.encoder.layer.0.attention.self.key.weight", Tensor.of(new float[16], 4, 4));
        SafetensorsWriter.write(model.resolve("model.safetensors"), hf);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> HuggingFaceFolder.load(model)),
                model.toString(), ParamNames.LayerMatrix.KEY.kernel(0), "[4, 4]", "[8, 8]");
    }

    @Test
    void writerRefusesNonEmptyTargetsUnlessAskedAndLeavesNothingOnFailure() throws IOException {
        BertWeights w = randomWeights(TINY, 7);
        Path model = Files.createDirectories(dir.resolve("model"));
        HuggingFaceFolderWriter.write(w, null, model, false); // an empty folder is fine
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HuggingFaceFolderWriter.write(w, null, model, false));
        assertMessage(e, model.toString(), "not empty");

        BertWeights other = randomWeights(TINY, 8);
        HuggingFaceFolderWriter.write(other, null, model, true);
        assertEquals(other.tensors(), HuggingFaceFolder.load(model).tensors());

        Path missing = dir.resolve("no-such-vocab.txt");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> HuggingFaceFolderWriter.write(w, missing, model, true)), missing.toString(), "not found");
        // Fails half-way, after config.json is written: a tensor outside the naming scheme.
        Map<String, Tensor> bad = new LinkedHashMap<>(w.tensors());
        bad.put("layer.0.mystery.kernel", Tensor.of(new float[4], 2, 2));
        Path vocab = Files.writeString(Files.createTempFile("vocab", ".txt"), "[PAD]\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> HuggingFaceFolderWriter.write(new BertWeights(TINY, bad, "bad"), vocab, model, true));
        assertMessage(e, "layer.0.mystery.kernel");
        assertEquals(other.tensors(), HuggingFaceFolder.load(model).tensors(), "old folder untouched");
        assertEquals(List.of("model"), names(dir), "no temporary folders left");
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
