package org.layerfuse.bench.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.engine.fused.Gemm;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a training step's products lose time against the forward's: each product of one layer's
 * training step at 32 × 32 tokens — the forward {@code x·W}, the input gradient {@code dy·Wᵀ} and
 * the weight gradient {@code xᵀ·dy} (as {@code DenseBpOp} calls them, through {@link Gemm}) —
 * timed with its operands warm (the same product ran just before, as in a standalone GEMM
 * benchmark and as the fused forward reads the activation its previous kernel wrote) and cold
 * (256 MB streamed through the caches before each call, as a step's backward reads activations
 * the forward wrote tens of milliseconds earlier), alternated round by round in one JVM. Prints
 * each product's medians and GFLOP/s, and the layer's forward and backward totals warm and cold.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx2g -cp ... org.layerfuse.bench.model.ColdProducts [minilm|bert-base] [rounds: 20]
 * </pre>
 */
public final class ColdProducts {

    /** Floats streamed between cold calls: 256 MB, beyond any cache this project's machines report. */
    private static final int FLUSH_FLOATS = 64 << 20;
    private static final float[] FLUSH = new float[FLUSH_FLOATS];
    private static volatile float sink;

    private ColdProducts() {
    }

    private record Product(String name, INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB,
                           boolean backward) {
        double gflop() {
            long m = transposeA ? a.columns() : a.rows();
            long k = transposeA ? a.rows() : a.columns();
            long n = transposeB ? b.rows() : b.columns();
            return 2.0 * m * k * n / 1e9;
        }

        void run() {
            Gemm.gemm(a, b, c, transposeA, transposeB, 1.0, 0.0);
        }
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "minilm";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        if (rounds < 1) {
            throw new IllegalArgumentException("usage: ColdProducts [model] [rounds >= 1]; got " + String.join(" ", args));
        }
        BertModel model = BenchModels.classifier(PretrainedModels.load(name));
        BertConfig c = model.config();
        int rows = BenchModels.BATCH * BenchModels.SEQ;
        int layer = model.liveLayers()[0];
        Nd4j.getRandom().setSeed(46);
        List<Product> products = new ArrayList<>();
        for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
            INDArray w = model.parameter(m.kernel(layer));
            long in = w.rows();
            long out = w.columns();
            INDArray x = Nd4j.rand(DataType.FLOAT, rows, in).subi(0.5);
            INDArray dy = Nd4j.rand(DataType.FLOAT, rows, out).subi(0.5);
            String shape = in + "→" + out;
            products.add(new Product(m + " " + shape + " x·W", x, w, Nd4j.create(DataType.FLOAT, rows, out), false, false,
                    false));
            products.add(new Product(m + " " + shape + " dy·Wᵀ", dy, w, Nd4j.create(DataType.FLOAT, rows, in), false,
                    true, true));
            products.add(new Product(m + " " + shape + " xᵀ·dy", x, dy, Nd4j.create(DataType.FLOAT, in, out), true, false,
                    true));
        }
        double[][] warm = new double[products.size()][rounds];
        double[][] cold = new double[products.size()][rounds];
        for (int r = -3; r < rounds; r++) { // three rounds of warm-up
            for (int p = 0; p < products.size(); p++) {
                Product pr = products.get(p);
                pr.run();
                long t0 = System.nanoTime();
                pr.run();
                long t1 = System.nanoTime();
                flush();
                long t2 = System.nanoTime();
                pr.run();
                long t3 = System.nanoTime();
                if (r >= 0) {
                    warm[p][r] = (t1 - t0) / 1e6;
                    cold[p][r] = (t3 - t2) / 1e6;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s, one layer's training products at %d rows (%s), %d rounds, medians:%n%n",
                name, rows, Nd4j.getEnvironment().isCPU() ? "CPU" : "device", rounds);
        System.out.println("| product | warm ms | GFLOP/s | cold ms | GFLOP/s | cold / warm |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        double[] totals = new double[4]; // forward warm, forward cold, backward warm, backward cold
        for (int p = 0; p < products.size(); p++) {
            Product pr = products.get(p);
            double w = median(warm[p]);
            double k = median(cold[p]);
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.0f | %.3f | %.0f | %.2f |%n", pr.name(), w, pr.gflop() / w * 1e3,
                    k, pr.gflop() / k * 1e3, k / w);
            totals[pr.backward() ? 2 : 0] += w;
            totals[pr.backward() ? 3 : 1] += k;
        }
        int layers = model.liveLayers().length;
        System.out.printf(Locale.ROOT, "%nOne layer: forward products %.2f ms warm, %.2f cold; backward %.2f warm "
                        + "(%.2f× the warm forward), %.2f cold (%.2f×). Times %d layers: forward %.1f / %.1f ms, "
                        + "backward %.1f / %.1f ms.%n",
                totals[0], totals[1], totals[2], totals[2] / totals[0], totals[3], totals[3] / totals[0], layers,
                totals[0] * layers, totals[1] * layers, totals[2] * layers, totals[3] * layers);
    }

    /** Reads and writes one float per cache line of 256 MB. */
    private static void flush() {
        float s = 0;
        for (int i = 0; i < FLUSH_FLOATS; i += 16) {
            FLUSH[i] += 1f;
            s += FLUSH[i];
        }
        sink = s;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
