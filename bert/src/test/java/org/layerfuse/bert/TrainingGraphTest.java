package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training graph's Java ops in float32 (their Vector-API kernels) against the same graph
 * in float64 (whose gradients {@code BertModelTest} checks against finite differences), and
 * the op inventory of a block.
 */
class TrainingGraphTest {

    private static final List<String> LABELS = List.of("a", "b", "c");

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"GELU_ERF", "GELU_TANH"})
    void float32GradientsMatchFloat64(Activation act) {
        // Wider than the tiny model: several vectors per row, a tail, heads of 8 and a 13-token batch.
        BertConfig c = new BertConfig(60, 40, 2, 5, 72, act, 16, 2, 1e-12, -10000.0, LABELS);
        BertWeights w = TestModels.randomWeights(c, 31, true);
        TokenBatch batch = TestModels.batch(60, 32);
        int[] labels = {1, 0, 2};
        INDArray teacher = Nd4j.createFromArray(new double[][] {{0.5, -0.5, 0.2}, {0.3, 0.9, -1.0}, {-0.2, 0.1, 0.4}});
        Gradients g64 = BertModel.fromWeights(w, DataType.DOUBLE).gradients(batch, labels, teacher, 0.5, 2.0);
        Gradients g32 = BertModel.fromWeights(w, DataType.FLOAT)
                .gradients(batch, labels, teacher.castTo(DataType.FLOAT), 0.5, 2.0);
        assertEquals(g64.loss(), g32.loss(), 1e-5 * Math.abs(g64.loss()), "loss");
        assertEquals(g64.byParameter().keySet(), g32.byParameter().keySet());
        for (Map.Entry<String, INDArray> e : g64.byParameter().entrySet()) {
            double[] expected = e.getValue().dup('c').data().asDouble();
            double[] actual = g32.byParameter().get(e.getKey()).dup('c').data().asDouble();
            double scale = 0;
            for (double v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected.length; i++) {
                assertTrue(Math.abs(actual[i] - expected[i]) <= 1e-3 * scale + 1e-6, e.getKey() + "[" + i + "]: float32 "
                        + actual[i] + " vs float64 " + expected[i] + " (largest " + scale + ")");
            }
        }
    }

    @Test
    void aBlockIsOneJavaOpPerStage() {
        BertConfig c = TestModels.tinyConfig(Activation.GELU_ERF, 3, LABELS);
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(c, 33, true));
        model.gradients(TestModels.batch(40, 34), new int[] {0, 1, 2});
        Map<String, Integer> ops = new TreeMap<>();
        for (SameDiffOp op : model.trainingGraph().sd().getOps().values()) {
            ops.merge(op.getOp().opName(), 1, Integer::sum);
        }
        int layers = 3;
        assertEquals(3 * layers + 2, ops.get("layerfuse_dense"), "attention output, FFN ×2 per layer, pooler, classifier: "
                + ops);
        assertEquals(layers, ops.get("layerfuse_projections"), "Q, K and V in one op: " + ops);
        assertEquals(layers, ops.get("layerfuse_attention"), ops.toString());
        assertEquals(2 * layers + 1, ops.get("layerfuse_layer_norm"), ops.toString());
        assertEquals(layers, ops.get("layerfuse_gelu"), ops.toString());
        assertEquals(null, ops.get("permute"), "no head permutes: " + ops);
        assertEquals(null, ops.get("erfc"), "GELU is one op: " + ops);
        assertTrue(ops.getOrDefault("add", 0) <= 1, "residual adds are inside the layer norms (one add is the loss's): "
                + ops);
        Map<String, Integer> gradientOps = new TreeMap<>();
        for (SameDiffOp op : model.trainingGraph().sd().getFunction("grad").getOps().values()) {
            gradientOps.merge(op.getOp().opName(), 1, Integer::sum);
        }
        assertEquals(layers, gradientOps.get("layerfuse_projections_bp"), gradientOps.toString());
        assertEquals(2 * layers, gradientOps.get("layerfuse_residual_layer_norm_bp"), gradientOps.toString());
        // every block's bias is added by the op reading its product: three bias-free products a layer (attention
        // output, intermediate, FFN output) and the projections, the pooler and classifier keep theirs
        assertEquals(3 * layers, gradientOps.get("layerfuse_product_bp"), gradientOps.toString());
        assertEquals(2, gradientOps.get("layerfuse_dense_bp"), "the pooler and the classifier: " + gradientOps);
        for (SameDiffOp op : model.trainingGraph().sd().getOps().values()) {
            String name = op.getOp().opName();
            int inputs = op.getInputsToOp().size();
            if (name.equals("layerfuse_attention")) {
                assertEquals(7, inputs, "Q, K, V products, mask and their three biases: " + op.getInputsToOp());
            } else if (name.equals("layerfuse_gelu")) {
                assertEquals(2, inputs, "the intermediate product and its bias: " + op.getInputsToOp());
            } else if (name.equals("layerfuse_projections")) {
                assertEquals(4, inputs, "x and the three kernels, no biases: " + op.getInputsToOp());
            }
        }
        assertTrue(gradientOps.getOrDefault("add_bp", 0) <= 1, "no residual add to differentiate (one is the loss's): "
                + gradientOps);
    }
}
