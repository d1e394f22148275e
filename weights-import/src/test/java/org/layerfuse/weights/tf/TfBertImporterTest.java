package org.layerfuse.weights.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;

/**
 * The TF BERT importer on a tiny Google-style checkpoint written by {@link TinyBundle}: variables
 * named by hand as Google's {@code modeling.py} names them, under {@code bert/} as in the original
 * {@code bert_model.ckpt}, with the extras such a checkpoint carries.
 */
class TfBertImporterTest {

    private static final int V = 11, H = 8, I = 12, P = 7, T = 2, L = 2;

    @TempDir
    Path dir;

    /** TF name (without the {@code bert/} scope) -> shape, as Google's graph has them. */
    private static Map<String, long[]> googleVariables() {
        Map<String, long[]> v = new LinkedHashMap<>();
        v.put("embeddings/word_embeddings", new long[] {V, H});
        v.put("embeddings/position_embeddings", new long[] {P, H});
        v.put("embeddings/token_type_embeddings", new long[] {T, H});
        v.put("embeddings/LayerNorm/gamma", new long[] {H});
        v.put("embeddings/LayerNorm/beta", new long[] {H});
        for (int l = 0; l < L; l++) {
            String p = "encoder/layer_" + l + "/";
            for (String qkv : List.of("query", "key", "value")) {
                v.put(p + "attention/self/" + qkv + "/kernel", new long[] {H, H});
                v.put(p + "attention/self/" + qkv + "/bias", new long[] {H});
            }
            v.put(p + "attention/output/dense/kernel", new long[] {H, H});
            v.put(p + "attention/output/dense/bias", new long[] {H});
            v.put(p + "attention/output/LayerNorm/gamma", new long[] {H});
            v.put(p + "attention/output/LayerNorm/beta", new long[] {H});
            v.put(p + "intermediate/dense/kernel", new long[] {H, I});
            v.put(p + "intermediate/dense/bias", new long[] {I});
            v.put(p + "output/dense/kernel", new long[] {I, H});
            v.put(p + "output/dense/bias", new long[] {H});
            v.put(p + "output/LayerNorm/gamma", new long[] {H});
            v.put(p + "output/LayerNorm/beta", new long[] {H});
        }
        v.put("pooler/dense/kernel", new long[] {H, H});
        v.put("pooler/dense/bias", new long[] {H});
        return v;
    }

    private Path write(Map<String, long[]> bert, List<TinyBundle.Var> extras, Map<String, float[]> values)
            throws IOException {
        SplittableRandom r = new SplittableRandom(5);
        List<TinyBundle.Var> vars = new ArrayList<>(extras);
        bert.forEach((name, shape) -> {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] x = new float[(int) n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            values.put(name, x);
            vars.add(TinyBundle.Var.floats("bert/" + name, x, shape));
        });
        Path prefix = dir.resolve("bert_model.ckpt");
        TinyBundle.write(prefix, vars, TinyBundle.Options.defaults());
        return prefix;
    }

    @Test
    void mapsGoogleNamesAndDerivesTheConfig() throws IOException {
        Map<String, float[]> values = new LinkedHashMap<>();
        List<TinyBundle.Var> extras = List.of(TinyBundle.Var.ints("global_step", new int[] {1000}),
                TinyBundle.Var.floats("cls/predictions/output_bias", new float[V], V));
        Path prefix = write(googleVariables(), extras, values);
        BertWeights w;
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            w = TfBertImporter.load(r, 2);
        }
        assertEquals(new BertConfig(V, H, L, 2, I, Activation.GELU_TANH, P, T, 1e-12, -10000.0, List.of()),
                w.config());
        assertEquals(5 + 16 * L + 2, w.tensors().size());
        Map<String, String> expected = Map.of(
                ParamNames.WORD_EMBEDDINGS, "embeddings/word_embeddings",
                ParamNames.EMBEDDINGS_LN_BETA, "embeddings/LayerNorm/beta",
                ParamNames.LayerMatrix.KEY.kernel(1), "encoder/layer_1/attention/self/key/kernel",
                ParamNames.LayerMatrix.ATTENTION_OUTPUT.kernel(0), "encoder/layer_0/attention/output/dense/kernel",
                ParamNames.attentionLnGamma(1), "encoder/layer_1/attention/output/LayerNorm/gamma",
                ParamNames.LayerMatrix.OUTPUT.kernel(1), "encoder/layer_1/output/dense/kernel",
                ParamNames.LayerMatrix.OUTPUT.bias(0), "encoder/layer_0/output/dense/bias",
                ParamNames.ffnLnBeta(0), "encoder/layer_0/output/LayerNorm/beta",
                ParamNames.POOLER_KERNEL, "pooler/dense/kernel");
        expected.forEach((ours, tf) -> assertArrayEquals(values.get(tf), w.get(ours).data(), ours));
        assertArrayEquals(new long[] {I, H}, w.get(ParamNames.LayerMatrix.OUTPUT.kernel(1)).shape(), "not transposed");
    }

    @Test
    void headsDefaultToHiddenOver64AndComeFromModelJson() throws IOException {
        Path prefix = write(googleVariables(), List.of(), new LinkedHashMap<>());
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfBertImporter.load(r, null));
            assertTrue(e.getMessage().contains("hidden size 8") && e.getMessage().contains("head size 64"),
                    e.getMessage());
        }
        Path json = Files.writeString(dir.resolve("model.json"), "{\"inputIds\": \"input_ids:0\"}");
        assertEquals(null, TfBertImporter.headsFromModelJson(json));
        Files.writeString(json, "{\"num_attention_heads\": 4}");
        assertEquals(4, TfBertImporter.headsFromModelJson(json));
        Files.writeString(json, "{\"num_attention_heads\": \"many\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TfBertImporter.headsFromModelJson(json));
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("num_attention_heads"));
    }

    @Test
    void unknownOrMissingVariablesAreNamed() throws IOException {
        Map<String, long[]> vars = googleVariables();
        vars.put("encoder/layer_0/attention/self/rotary/kernel", new long[] {H, H});
        Path prefix = write(vars, List.of(), new LinkedHashMap<>());
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfBertImporter.load(r, 2));
            assertTrue(e.getMessage().contains("bert/encoder/layer_0/attention/self/rotary/kernel"), e.getMessage());
        }
        Map<String, long[]> missing = googleVariables();
        missing.remove("encoder/layer_1/attention/self/value/bias");
        Files.delete(Path.of(prefix + ".index"));
        prefix = write(missing, List.of(), new LinkedHashMap<>());
        try (TensorBundleReader r = TensorBundleReader.open(prefix)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfBertImporter.load(r, 2));
            assertTrue(e.getMessage().contains(ParamNames.LayerMatrix.VALUE.bias(1)) && e.getMessage().contains("[8]"),
                    e.getMessage());
        }
    }
}
