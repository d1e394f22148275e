package org.layerfuse.bert.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.kernels.RowSupport;
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

    /**
     * Embedding-like gradients (all rows zero but the few a batch reads, which change from step
     * to step): AdamW skips the zero segments of a table whose moments are still zero, and gives
     * bit for bit what the one-pass kernel gives updating every float; a run resumed after three
     * steps from {@code state()} (the zero segments found again in the restored moments) too.
     */
    @Test
    void sparseGradientRowsGiveTheOnePassBitsAlsoAfterARestore() {
        Backend.init();
        AdamW.Hyper h = new AdamW.Hyper(0.9, 0.999, 1e-8, 0.1, 0.5);
        java.util.function.Predicate<String> decays = name -> name.endsWith(".kernel");
        int rows = 300;
        int cols = 384;
        Map<String, INDArray> start = new LinkedHashMap<>();
        start.put("table.kernel", Nd4j.rand(DataType.FLOAT, rows, cols).subi(0.5));
        start.put("w.bias", Nd4j.rand(DataType.FLOAT, 37));
        List<Map<String, INDArray>> grads = new ArrayList<>();
        List<Map<String, RowSupport>> supports = new ArrayList<>(); // the rows each step's table was written in
        SplittableRandom r = new SplittableRandom(9);
        for (int t = 0; t < 6; t++) {
            INDArray table = Nd4j.zeros(DataType.FLOAT, rows, cols);
            int[] written = new int[5];
            for (int k = 0; k < 5; k++) {
                written[k] = r.nextInt(rows);
                table.getRow(written[k]).assign(Nd4j.rand(DataType.FLOAT, cols).subi(0.5));
            }
            grads.add(Map.of("table.kernel", table, "w.bias", Nd4j.rand(DataType.FLOAT, 37)));
            supports.add(Map.of("table.kernel", RowSupport.of(cols, written)));
        }
        // the reference: the one-pass kernel over every float, with AdamW's norm, clipping and scalars
        Map<String, INDArray> expected = copy(start);
        Map<String, INDArray> m = new LinkedHashMap<>();
        Map<String, INDArray> v = new LinkedHashMap<>();
        for (int t = 1; t <= 6; t++) {
            Map<String, INDArray> g = grads.get(t - 1);
            double sq = 0;
            for (INDArray gi : g.values()) {
                sq += org.layerfuse.engine.kernels.AdamWKernel.sumSquares(
                        org.layerfuse.engine.kernels.NdBuffers.floatView(gi));
            }
            double norm = Math.sqrt(sq);
            double clip = norm > h.maxGradNorm() ? h.maxGradNorm() / (norm + 1e-6) : 1.0;
            double lr = 0.01 * t;
            for (String name : expected.keySet()) {
                INDArray p = expected.get(name);
                org.layerfuse.engine.kernels.AdamWKernel.Step s = new org.layerfuse.engine.kernels.AdamWKernel.Step(
                        (float) clip, 0.9f, 0.999f, (float) (1 - Math.pow(0.9, t)), (float) (1 - Math.pow(0.999, t)),
                        (float) lr, 1e-8f, decays.test(name) ? (float) (lr * h.weightDecay()) : 0f);
                assertTrue(org.layerfuse.engine.kernels.AdamWKernel.update(p, g.get(name),
                        m.computeIfAbsent(name, k -> p.like()), v.computeIfAbsent(name, k -> p.like()), s));
            }
        }
        Map<String, INDArray> straight = copy(start);
        AdamW adam = new AdamW(h, decays);
        Map<String, INDArray> resumed = copy(start);
        AdamW first = new AdamW(h, decays);
        Map<String, INDArray> told = copy(start);
        AdamW supported = new AdamW(h, decays);
        for (int t = 1; t <= 6; t++) {
            adam.step(straight, grads.get(t - 1), 0.01 * t);
            supported.step(told, grads.get(t - 1), 0.01 * t, supports.get(t - 1));
            if (t == 4) {
                AdamW second = new AdamW(h, decays);
                second.restore(copy(first.state()), first.stepCount());
                first = second;
            }
            first.step(resumed, grads.get(t - 1), 0.01 * t);
        }
        for (String name : start.keySet()) {
            assertArrayEquals(bits(expected.get(name)), bits(straight.get(name)), name + ": straight run");
            assertArrayEquals(bits(expected.get(name)), bits(resumed.get(name)), name + ": resumed after three steps");
            assertArrayEquals(bits(expected.get(name)), bits(told.get(name)), name + ": told the rows written");
            assertArrayEquals(bits(v.get(name)), bits(supported.state().get("v:" + name)), name + ": told, second moment");
            assertArrayEquals(bits(m.get(name)), bits(adam.state().get("m:" + name)), name + ": first moment");
            assertArrayEquals(bits(v.get(name)), bits(first.state().get("v:" + name)), name + ": second moment");
        }
    }

    @Test
    void aRowSupportThatDoesNotFitItsGradientIsRefusedNamingTheParameter() {
        Backend.init();
        AdamW adam = new AdamW(AdamW.Hyper.defaults(), name -> true);
        Map<String, INDArray> params = Map.of("table", Nd4j.rand(DataType.FLOAT, 4, 6));
        Map<String, INDArray> grads = Map.of("table", Nd4j.zeros(DataType.FLOAT, 4, 6));
        for (RowSupport wrong : new RowSupport[] {RowSupport.of(6, new int[] {4}), RowSupport.of(5, new int[] {0})}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> adam.step(params, grads, 1e-3, Map.of("table", wrong)));
            assertTrue(e.getMessage().startsWith("row support for 'table'") && e.getMessage().contains("[4, 6]"),
                    e.getMessage());
        }
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> arrays) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        arrays.forEach((k, a) -> out.put(k, a.dup()));
        return out;
    }

    private static int[] bits(INDArray a) {
        float[] f = a.dup().data().asFloat();
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
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
