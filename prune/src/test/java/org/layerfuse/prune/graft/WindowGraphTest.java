package org.layerfuse.prune.graft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.TinyTask;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused window: A = 0 changes nothing, gradients reach A and B, training lowers the local loss. */
class WindowGraphTest {

    private static final EncodedExamples CALIBRATION = TinyTask.examples(12, 9);

    @Test
    void zeroCoefficientsLeaveTheWindowsOutputUnchanged() {
        BertModel model = GraftFixtures.random(11, DataType.DOUBLE);
        model.removeLayer(1);
        GraftWindow window = GraftWindow.around(model.liveMask(), 1, 2); // {0, 2}, span 0..2
        WindowData data = WindowData.teacher(model, window, CALIBRATION);
        List<LowRankGraft> grafts = GraftHealer.initialGrafts(model, window, 4, 1);
        WindowGraph graph = new WindowGraph(model, window, grafts, GraftLoss.KL, 1.0, false);
        int[] rows = data.all();
        INDArray fused = graph.output(data.batch(rows));
        // the pruned model's own hidden state leaving the span
        INDArray plain = model.forward(CALIBRATION.tokens(), true, false).hiddenStates().get(window.last());
        INDArray expected = plain.reshape('c', plain.size(0) * plain.size(1), plain.size(2));
        // model.forward is the fused inference path, the window a SameDiff graph: two float64
        // implementations, equal up to rounding (measured 1.3e-12 here)
        assertEquals(0.0, fused.sub(expected).amaxNumber().doubleValue(), 1e-10);
        // and the removal does change the span's output (the test is not vacuous)
        INDArray teacher = data.batch(rows).get(WindowGraph.TARGET);
        assertTrue(teacher.sub(expected).amaxNumber().doubleValue() > 1e-3);
    }

    @ParameterizedTest
    @EnumSource(GraftLoss.class)
    void gradientsOfAAndBMatchFiniteDifferences(GraftLoss loss) {
        BertModel model = GraftFixtures.random(12, DataType.DOUBLE);
        model.removeLayer(2);
        GraftWindow window = GraftWindow.around(model.liveMask(), 2, 2); // {1, 3}
        WindowData data = WindowData.teacher(model, window, CALIBRATION);
        List<LowRankGraft> grafts = GraftHealer.initialGrafts(model, window, 3, 2);
        Map<String, INDArray> batch = data.batch(new int[] {0, 3, 5, 7});

        WindowGraph atInit = new WindowGraph(model, window, grafts, loss, 2.0, false);
        WindowGraph.Step first = atInit.gradients(batch);
        String someA = grafts.get(0).target() + ".graft_a";
        String someB = grafts.get(0).target() + ".graft_b";
        assertTrue(first.coefficientGradients().get(someA).amaxNumber().doubleValue() > 0, "A = 0 still gets a gradient");
        assertEquals(0.0, first.coefficientGradients().get(someB).amaxNumber().doubleValue(), 0.0,
                "with A = 0, ∂L/∂B = (∂L/∂C)ᵀ·A = 0");

        // move A away from 0 so that B's gradient is not trivially 0, then compare with central differences
        for (LowRankGraft g : grafts) {
            g.a().assign(Nd4j.rand(DataType.DOUBLE, g.a().shape()).subi(0.5).muli(0.5));
        }
        WindowGraph graph = new WindowGraph(model, window, grafts, loss, 2.0, false);
        WindowGraph.Step step = graph.gradients(batch);
        int checked = 0;
        for (LowRankGraft g : List.of(grafts.get(0), grafts.get(4), grafts.get(11))) {
            for (String factor : List.of("a", "b")) {
                String name = g.target() + ".graft_" + factor;
                INDArray param = factor.equals("a") ? g.a() : g.b();
                INDArray grad = step.coefficientGradients().get(name);
                for (long idx : new long[] {0, param.length() / 2, param.length() - 1}) {
                    double saved = param.getDouble(idx);
                    double h = 1e-5;
                    param.putScalar(idx, saved + h);
                    double up = graph.loss(batch);
                    param.putScalar(idx, saved - h);
                    double down = graph.loss(batch);
                    param.putScalar(idx, saved);
                    double fd = (up - down) / (2 * h);
                    double an = grad.getDouble(idx);
                    assertEquals(fd, an, 1e-6 + 1e-4 * Math.abs(fd), name + "[" + idx + "] (" + loss + ")");
                    checked++;
                }
            }
        }
        assertEquals(18, checked);
        assertEquals(Set.of(), step.weightGradients().keySet(), "window weights are frozen by default");
    }

    @Test
    void graftingLowersTheLocalLossAndLeavesPlainLayers() {
        BertModel model = GraftFixtures.random(13, DataType.FLOAT);
        Set<String> names = Set.copyOf(model.allParameters().keySet());
        EncodedExamples calibration = TinyTask.examples(48, 10);
        model.removeLayer(1);
        long plainCount = model.parameterCount();
        GraftWindow window = GraftWindow.around(model.liveMask(), 1, 7);
        WindowData data = WindowData.teacher(model, window, calibration);
        double before = GraftHealer.meanLoss(new WindowGraph(model, window,
                GraftHealer.initialGrafts(model, window, 4, 0), GraftLoss.KL, 1.0, false), data);

        GraftOptions options = GraftOptions.defaults().withEpochs(4).withBatchSize(8).withLr(1e-2);
        String summary = new GraftHealer(calibration, options).heal(model, 1, 1);

        // the healed model's own window (A = 0: the folded weights as they are) against the same teacher
        double after = GraftHealer.meanLoss(new WindowGraph(model, window,
                GraftHealer.initialGrafts(model, window, 4, 0), GraftLoss.KL, 1.0, false), data);
        assertTrue(after < 0.8 * before, "local KL " + before + " -> " + after + " (" + summary + ")");
        assertEquals(names, model.allParameters().keySet(), "no extra parameter after folding");
        assertEquals(plainCount, model.parameterCount(), "as many parameters as plain removal");
        assertTrue(!model.isLive(1));
    }
}
