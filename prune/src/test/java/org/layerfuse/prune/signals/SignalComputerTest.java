package org.layerfuse.prune.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.engine.kernels.VectorKernels;
import org.layerfuse.engine.mi.GaussianMutualInformation;
import org.layerfuse.engine.mi.PcaProjection;
import org.layerfuse.engine.mi.ReusedProjection;
import org.layerfuse.prune.TinyTask;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Each signal against a plain-loop computation from the model's own outputs and gradients. */
class SignalComputerTest {

    static BertModel model;
    static EncodedExamples data;

    @BeforeAll
    static void setUp() {
        model = TinyTask.trainedModel();
        data = TinyTask.examples(20, 31);
    }

    static SignalComputer computer(int batch, int gradientBatch) {
        return new SignalComputer(data, new SignalComputer.Options(batch, gradientBatch,
                new GaussianMutualInformation(new PcaProjection(4), 1e-6), VectorKernels.DEFAULT_EPS));
    }

    /** Projecting each layer once for its three MI estimates changes no bit of any signal. */
    @Test
    void reusedProjectionsGiveTheSameSignalsBitForBit() {
        LayerSignals plain = computer(7, 5).compute(model);
        LayerSignals reused = new SignalComputer(data, new SignalComputer.Options(7, 5,
                new GaussianMutualInformation(new ReusedProjection(new PcaProjection(4), 2), 1e-6),
                VectorKernels.DEFAULT_EPS)).compute(model);
        for (int l : model.liveLayers()) {
            for (Signal signal : Signal.values()) {
                assertEquals(Double.doubleToLongBits(plain.get(l, signal)), Double.doubleToLongBits(reused.get(l, signal)),
                        signal + " of layer " + l);
            }
        }
    }

    @Test
    void activationAndAttentionSignalsMatchLoopsOverOneForward() {
        LayerSignals s = computer(7, 5).compute(model);
        Forward f = model.forward(data.tokens(), true, true);
        int[][] mask = data.tokens().attentionMask();
        for (int l : model.liveLayers()) {
            INDArray h = f.hiddenStates().get(l);
            double sum = 0;
            double abs = 0;
            double sq = 0;
            long count = 0;
            for (int b = 0; b < data.size(); b++) {
                for (int t = 0; t < mask[b].length; t++) {
                    if (mask[b][t] == 0) {
                        continue;
                    }
                    for (int j = 0; j < h.size(2); j++) {
                        double a = h.getDouble(b, t, j);
                        sum += a;
                        abs += Math.abs(a);
                        sq += a * a;
                        count++;
                    }
                }
            }
            assertEquals(sum / count, s.get(l, Signal.ACTIVATION_INHIBITION), 1e-6, "inhibition of layer " + l);
            assertEquals(abs / count, s.get(l, Signal.ACTIVATION_INTENSITY), 1e-6, "intensity of layer " + l);
            assertEquals(sq / count, s.get(l, Signal.ACTIVATION_ENERGY), 1e-5, "energy of layer " + l);

            INDArray p = f.attention().get(l);
            double entropy = 0;
            double max = 0;
            long rows = 0;
            for (int b = 0; b < data.size(); b++) {
                for (int head = 0; head < p.size(1); head++) {
                    for (int q = 0; q < mask[b].length; q++) {
                        if (mask[b][q] == 0) {
                            continue;
                        }
                        double e = 0;
                        double m = 0;
                        for (int k = 0; k < mask[b].length; k++) {
                            double pk = p.getDouble(b, head, q, k);
                            if (mask[b][k] != 0) {
                                e -= pk * Math.log(pk + VectorKernels.DEFAULT_EPS);
                            }
                            m = Math.max(m, pk);
                        }
                        entropy += e;
                        max += m;
                        rows++;
                    }
                }
            }
            assertEquals(entropy / rows, s.get(l, Signal.ATTENTION_ENTROPY), 1e-5, "attention entropy of layer " + l);
            assertEquals(max / rows, s.get(l, Signal.ATTENTION_WEIGHT), 1e-6, "attention weight of layer " + l);
        }
    }

    /** With one example per mini-batch, Fisher and gradient magnitude are over per-example gradients. */
    @Test
    void gradientSignalsMatchPerExampleGradientsByHand() {
        LayerSignals s = computer(8, 1).compute(model);
        int layers = model.numLayers();
        double[] abs = new double[layers];
        double[] sq = new double[layers];
        long[] count = new long[layers];
        for (int i = 0; i < data.size(); i++) {
            EncodedExamples one = data.range(i, i + 1);
            Gradients g = model.gradients(one.tokens(), one.labels());
            for (int l : model.liveLayers()) {
                for (ParamNames.Entry e : ParamNames.layerParams(model.config(), l)) {
                    for (float v : g.byParameter().get(e.name()).dup('c').data().asFloat()) {
                        abs[l] += Math.abs(v);
                        sq[l] += (double) v * v;
                        count[l]++;
                    }
                }
            }
        }
        for (int l : model.liveLayers()) {
            assertEquals(abs[l] / count[l], s.get(l, Signal.GRADIENT_MAGNITUDE), 1e-6 * abs[l] / count[l],
                    "gradient magnitude of layer " + l);
            assertEquals(sq[l] / count[l], s.get(l, Signal.GRADIENT_FISHER), 1e-6 * sq[l] / count[l],
                    "Fisher of layer " + l);
        }
    }

    @Test
    void weightSignalsMatchLoopsOverTheMatrices() {
        LayerSignals s = computer(10, 10).compute(model);
        for (int l : model.liveLayers()) {
            double squares = 0;
            long zeros = 0;
            long size = 0;
            double entropy = 0;
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                float[] w = model.parameter(m.kernel(l)).dup('c').data().asFloat();
                double l1 = 0;
                for (float v : w) {
                    l1 += Math.abs(v);
                    squares += (double) v * v;
                    zeros += v == 0f ? 1 : 0;
                    size++;
                }
                double h = 0;
                for (float v : w) {
                    double p = Math.abs(v) / l1;
                    h -= p * Math.log(p + VectorKernels.DEFAULT_EPS);
                }
                entropy += h / ParamNames.LayerMatrix.values().length;
            }
            assertEquals(Math.sqrt(squares), s.get(l, Signal.WEIGHT_NORM), 1e-6 * Math.sqrt(squares));
            assertEquals((double) zeros / size, s.get(l, Signal.WEIGHT_SPARSITY), 0.0);
            assertEquals(entropy, s.get(l, Signal.WEIGHT_ENTROPY), 1e-5 * entropy);
        }
        assertTrue(s.uninformative().contains(Signal.WEIGHT_SPARSITY), "dense weights: sparsity is constant (0)");
    }

    @Test
    void removedLayersAreAbsentAndMutualInformationIsFinite() {
        BertModel pruned = model.copy();
        pruned.removeLayer(1);
        LayerSignals s = computer(10, 10).compute(pruned);
        assertFalse(s.isLive(1));
        assertThrows(IllegalArgumentException.class, () -> s.get(1, Signal.TASK_RELEVANCE_MI));
        for (int l : s.liveLayers()) {
            assertTrue(s.get(l, Signal.TASK_RELEVANCE_MI) >= 0, "task MI >= 0");
            assertTrue(s.get(l, Signal.FLOW_RELEVANCE_MI) > 0, "flow MI > 0 between dependent layers");
        }
        assertTrue(s.toCsv().startsWith("layer,live,Activation-Inhibition"));
    }
}
