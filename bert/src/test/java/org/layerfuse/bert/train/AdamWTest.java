package org.layerfuse.bert.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * The float32 path as training runs it: AdamW hands contiguous float parameters to the fused
     * Vector-API kernel (engine AdamWKernel). Its result after several steps with clipping and
     * selective decay is held against the double-precision scalar reference; sizes 1000 and 37
     * cover the vector body and the scalar tail.
     */
    @Test
    void float32FusedKernelPathMatchesTheDoubleReference() {
        Backend.init();
        AdamW.Hyper h = new AdamW.Hyper(0.9, 0.999, 1e-8, 0.1, 0.5);
        SplittableRandom r = new SplittableRandom(2);
        int[] sizes = {1000, 37};
        double[][] p = new double[2][];
        double[][] m = new double[2][];
        double[][] v = new double[2][];
        for (int k = 0; k < 2; k++) {
            p[k] = new double[sizes[k]];
            m[k] = new double[sizes[k]];
            v[k] = new double[sizes[k]];
            for (int i = 0; i < sizes[k]; i++) {
                p[k][i] = (float) r.nextDouble(-1, 1); // start from values float32 holds exactly
            }
        }
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("w.kernel", Nd4j.createFromArray(p[0]).castTo(DataType.FLOAT));
        params.put("w.bias", Nd4j.createFromArray(p[1]).castTo(DataType.FLOAT));
        AdamW adam = new AdamW(h, name -> name.endsWith(".kernel"));
        for (int t = 1; t <= 5; t++) {
            double[][] g = {new double[sizes[0]], new double[sizes[1]]};
            for (double[] gi : g) {
                for (int i = 0; i < gi.length; i++) {
                    gi[i] = (float) r.nextDouble(-2, 2);
                }
            }
            Map<String, INDArray> grads = Map.of("w.kernel", Nd4j.createFromArray(g[0]).castTo(DataType.FLOAT),
                    "w.bias", Nd4j.createFromArray(g[1]).castTo(DataType.FLOAT));
            if (t == 1) {
                // The arrays AdamW is given are ones the fused kernel takes (else this test would cover the fallback).
                INDArray probe = params.get("w.kernel").dup();
                assertTrue(org.layerfuse.engine.kernels.AdamWKernel.update(probe, grads.get("w.kernel"), probe.like(),
                        probe.like(), new org.layerfuse.engine.kernels.AdamWKernel.Step(1, 0.9f, 0.999f, 0.1f, 0.001f,
                                0.01f, 1e-8f, 0)), "contiguous float32 arrays go through the fused kernel");
            }
            double lr = 0.01 * t;
            adam.step(params, grads, lr);
            referenceStep(p, g, m, v, new boolean[] {true, false}, t, lr, h);
        }
        assertEquals(DataType.FLOAT, params.get("w.kernel").dataType(), "updated in place, still float32");
        // float32 carries ~7 digits: each step's update (<= lr ≈ 0.05) and the parameter (|p| < 2) round at
        // ~1e-7 relative, so five steps stay well inside 1e-5; a wrong formula (a missing bias correction,
        // decay on the bias, no clipping) moves parameters by 1e-3 or more.
        double worst = 0;
        for (int k = 0; k < 2; k++) {
            float[] actual = params.get(k == 0 ? "w.kernel" : "w.bias").data().asFloat();
            for (int i = 0; i < sizes[k]; i++) {
                worst = Math.max(worst, Math.abs(p[k][i] - actual[i]));
            }
        }
        assertTrue(worst <= 1e-5, "max |float32 kernel - double reference| = " + worst);
        assertEquals(5, adam.stepCount());
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
