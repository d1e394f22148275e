package org.layerfuse.bench.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.onnx.OnnxBertExporter;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;

/**
 * {@link PrunedOnnxForwardBench}'s question on a shared, noisy machine: the sessions of every k
 * are loaded in one JVM and run in interleaved rounds, so that load from other processes falls
 * on all of them alike, and the minimum and median of each are reported with the speed-up over
 * k = 0 against the ideal L/(L−k).
 * <pre>java -cp … org.layerfuse.bench.model.PrunedOnnxSpeedup [rounds=30] [threads=1] [k…=2 3]</pre>
 */
public final class PrunedOnnxSpeedup {

    private PrunedOnnxSpeedup() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        List<Integer> ks = new ArrayList<>(List.of(0));
        for (int i = 2; i < args.length; i++) {
            ks.add(Integer.parseInt(args[i]));
        }
        if (ks.size() == 1) {
            ks.addAll(List.of(2, 3));
        }
        PretrainedModels.Pretrained p = BenchModels.load("minilm");
        TokenBatch batch = BenchModels.sentences(p, BenchModels.BATCH, BenchModels.SEQ);
        int layers = p.weights().config().numHiddenLayers();
        List<OnnxRuntimeEncoder> sessions = new ArrayList<>();
        for (int k : ks) {
            BertModel m = BertModel.fromWeights(p.weights());
            for (int j = 0; j < k; j++) {
                m.removeLayer(layers / 2 + ((j % 2 == 0) ? j / 2 : -(j / 2) - 1));
            }
            Path file = Files.createTempFile("layerfuse-speedup-" + k, ".onnx");
            file.toFile().deleteOnExit();
            OnnxBertExporter.write(m.exportWeights(), file);
            sessions.add(new OnnxRuntimeEncoder(file, threads));
        }
        sessions.add(new OnnxRuntimeEncoder(p.onnxFile(), threads)); // reference: the file torch wrote
        double[][] ms = new double[sessions.size()][rounds];
        for (int r = -3; r < rounds; r++) { // 3 warm-up rounds
            for (int s = 0; s < sessions.size(); s++) {
                long t0 = System.nanoTime();
                sessions.get(s).lastHiddenState(batch);
                double t = (System.nanoTime() - t0) / 1e6;
                if (r >= 0) {
                    ms[s][r] = t;
                }
            }
        }
        System.out.printf(Locale.ROOT, "ONNX Runtime forward of LayerFuse's MiniLM export, batch %d x %d tokens, %d"
                + " intra-op thread(s), %d interleaved rounds%n", BenchModels.BATCH, BenchModels.SEQ, threads, rounds);
        System.out.println("| layers removed k | layers | min ms | median ms | speed-up (min) | speed-up (median) | ideal L/(L-k) |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        double base = min(ms[0]);
        double baseMedian = median(ms[0]);
        for (int s = 0; s < ks.size(); s++) {
            int k = ks.get(s);
            System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.2f | %.2f | %.2f |%n", k, layers - k, min(ms[s]),
                    median(ms[s]), base / min(ms[s]), baseMedian / median(ms[s]), layers / (double) (layers - k));
        }
        double original = min(ms[ks.size()]);
        System.out.printf(Locale.ROOT, "| original MiniLM ONNX file (reference) | %d | %.1f | %.1f | %.2f | %.2f | |%n",
                layers, original, median(ms[ks.size()]), base / original, baseMedian / median(ms[ks.size()]));
        sessions.forEach(OnnxRuntimeEncoder::close);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
