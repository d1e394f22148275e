package org.layerfuse.bench.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.layerfuse.api.InferenceOptions;
import org.layerfuse.api.SentenceEncoder;
import org.layerfuse.bert.SampleSentences;

/**
 * The inference API's two engines side by side: {@link SentenceEncoder#encode} of MiniLM on
 * {@code batch} real sentences at a time, the fused engine and the ONNX Runtime engine
 * interleaved call by call in one JVM (the machine's drift slows both alike), in a fresh random
 * order each round (ONNX Runtime's workers keep spinning after a call and slow whatever runs
 * right after it). Prints the medians, the best calls, the fused engine's median when it ran
 * first and right after ONNX Runtime, and the ONNX Runtime engine's speed-up. With {@code fused}
 * or {@code onnxruntime} as the third argument, that engine alone is loaded and timed, as a
 * service that runs one engine sees it (its weights and threads undisturbed by the other's).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.EngineLatency [batch: 1] [rounds: 100]
 *     [both|fused|onnxruntime]
 * </pre>
 */
public final class EngineLatency {

    private EngineLatency() {
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        String engines = args.length > 2 ? args[2] : "both";
        List<String> sentences = SampleSentences.load();
        if (batch < 1 || batch > sentences.size() || rounds < 1
                || !List.of("both", "fused", "onnxruntime").contains(engines)) {
            throw new IllegalArgumentException("usage: EngineLatency [batch 1.." + sentences.size()
                    + "] [rounds >= 1] [both|fused|onnxruntime]; got " + String.join(" ", args));
        }
        InferenceOptions options = InferenceOptions.defaults().withBatchSize(batch);
        if (!engines.equals("both")) {
            alone(engines.equals("fused") ? options : options.withEngine(InferenceOptions.Engine.ONNX_RUNTIME),
                    engines, sentences, batch, rounds);
            return;
        }
        try (SentenceEncoder fused = SentenceEncoder.load("minilm", options);
             SentenceEncoder ort = SentenceEncoder.load("minilm",
                     options.withEngine(InferenceOptions.Engine.ONNX_RUNTIME))) {
            double[] f = new double[rounds];
            double[] o = new double[rounds];
            boolean[] fusedFirst = new boolean[rounds];
            java.util.Random order = new java.util.Random(42);
            for (int r = -20; r < rounds; r++) {
                List<String> texts = texts(sentences, r, batch);
                // a fresh order each round: ONNX Runtime's workers spin for a while after a call
                // and slow whatever runs right after it on a small machine
                boolean first = order.nextBoolean();
                double tf = 0;
                double to = 0;
                for (int q = 0; q < 2; q++) {
                    boolean runFused = (q == 0) == first;
                    long t0 = System.nanoTime();
                    (runFused ? fused : ort).encode(texts);
                    double t = (System.nanoTime() - t0) / 1e6;
                    if (runFused) {
                        tf = t;
                    } else {
                        to = t;
                    }
                }
                if (r >= 0) {
                    f[r] = tf;
                    o[r] = to;
                    fusedFirst[r] = first;
                }
            }
            double alone = BenchModels.medianWhere(f, fusedFirst, true);
            double afterOrt = BenchModels.medianWhere(f, fusedFirst, false);
            Arrays.sort(f);
            Arrays.sort(o);
            System.out.printf(Locale.ROOT, "SentenceEncoder.encode, MiniLM, %d sentence(s) a call, %d rounds in random "
                            + "order: fused %.2f ms (best %.2f; %.2f when it ran first, %.2f right after ONNX Runtime), "
                            + "ONNX Runtime engine %.2f ms (best %.2f): ONNX Runtime %.2f× faster%n", batch, rounds,
                    f[rounds / 2], f[0], alone, afterOrt, o[rounds / 2], o[0], f[rounds / 2] / o[rounds / 2]);
        }
    }

    /** Round {@code r}'s {@code batch} consecutive sentences, the sample cycled through. */
    private static List<String> texts(List<String> sentences, int r, int batch) {
        int at = Math.floorMod(r * batch, sentences.size() - batch + 1);
        return sentences.subList(at, at + batch);
    }

    /** One engine alone: the same texts in the same order after 200 calls of warm-up, its median and best call. */
    private static void alone(InferenceOptions options, String engine, List<String> sentences, int batch, int rounds) {
        try (SentenceEncoder encoder = SentenceEncoder.load("minilm", options)) {
            double[] t = new double[rounds];
            // a longer warm-up than interleaved: the JIT sees one engine's calls only
            for (int r = -200; r < rounds; r++) {
                List<String> texts = texts(sentences, r, batch);
                long t0 = System.nanoTime();
                encoder.encode(texts);
                if (r >= 0) {
                    t[r] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(t);
            System.out.printf(Locale.ROOT, "SentenceEncoder.encode, MiniLM, %d sentence(s) a call, %s engine alone, "
                    + "%d rounds: %.2f ms (best %.2f)%n", batch, engine, rounds, t[rounds / 2], t[0]);
        }
    }
}
