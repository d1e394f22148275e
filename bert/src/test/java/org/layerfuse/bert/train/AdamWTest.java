package org.layerfuse.bert.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AdamWTest {

    /** PyTorch's AdamW and clip_grad_norm_, written as scalar loops. */
    private static void referenceStep(double[][] p, double[][] g, double[][] m, double[][] v, boolean[] decays,
                                      int t, double lr, AdamW.Hyper h) {
        double sq = 0;
        for (double[] gi : g) {
            for (double x : gi) {
                sq += x * x;
            }
        }
        double norm = Math.sqrt(sq);
        double clip = norm > h.maxGradNorm() ? h.maxGradNorm() / (norm + 1e-6) : 1;
        for (int k = 0; k < p.length; k++) {
            for (int i = 0; i < p[k].length; i++) {
                double gi = g[k][i] * clip;
                m[k][i] = h.beta1() * m[k][i] + (1 - h.beta1()) * gi;
                v[k][i] = h.beta2() * v[k][i] + (1 - h.beta2()) * gi * gi;
                if (decays[k]) {
                    p[k][i] *= 1 - lr * h.weightDecay();
                }
                double mhat = m[k][i] / (1 - Math.pow(h.beta1(), t));
                double vhat = v[k][i] / (1 - Math.pow(h.beta2(), t));
                p[k][i] -= lr * mhat / (Math.sqrt(vhat) + h.epsilon());
            }
        }
    }

    @Test
    void matchesScalarAdamWWithClippingAndSelectiveDecay() {
        Backend.init();
        AdamW.Hyper h = new AdamW.Hyper(0.9, 0.999, 1e-8, 0.1, 0.5);
        SplittableRandom r = new SplittableRandom(1);
        double[][] p = {new double[7], new double[3]};
        double[][] m = {new double[7], new double[3]};
        double[][] v = {new double[7], new double[3]};
        for (double[] pi : p) {
            for (int i = 0; i < pi.length; i++) {
                pi[i] = r.nextDouble(-1, 1);
            }
        }
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("w.kernel", Nd4j.createFromArray(p[0].clone()));
        params.put("w.bias", Nd4j.createFromArray(p[1].clone()));
        AdamW adam = new AdamW(h, name -> name.endsWith(".kernel"));
        for (int t = 1; t <= 4; t++) {
            double[][] g = {new double[7], new double[3]};
            for (double[] gi : g) {
                for (int i = 0; i < gi.length; i++) {
                    gi[i] = r.nextDouble(-2, 2);
                }
            }
            Map<String, INDArray> grads = Map.of("w.kernel", Nd4j.createFromArray(g[0].clone()), "w.bias",
                    Nd4j.createFromArray(g[1].clone()));
            double lr = 0.01 * t;
            adam.step(params, grads, lr);
            referenceStep(p, g, m, v, new boolean[] {true, false}, t, lr, h);
        }
        for (int i = 0; i < 7; i++) {
            assertEquals(p[0][i], params.get("w.kernel").getDouble(i), 1e-12);
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(p[1][i], params.get("w.bias").getDouble(i), 1e-12);
        }
        assertEquals(4, adam.stepCount());
        assertEquals(DataType.DOUBLE, params.get("w.bias").dataType());
    }

    @Test
    void linearWarmupThenDecay() {
        LinearWarmupSchedule s = new LinearWarmupSchedule(1.0, 10, 110);
        assertEquals(0.0, s.at(0), 0);
        assertEquals(0.5, s.at(5), 1e-15);
        assertEquals(1.0, s.at(10), 1e-15);
        assertEquals(0.5, s.at(60), 1e-15);
        assertEquals(0.0, s.at(110), 1e-15);
    }
}
