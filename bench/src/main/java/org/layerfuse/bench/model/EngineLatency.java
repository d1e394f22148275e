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
 * interleaved call by call in one JVM (the machine's drift slows both alike). Prints the medians,
 * the best calls and the ONNX Runtime engine's speed-up.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.EngineLatency [batch: 1] [rounds: 100]
 * </pre>
 */
public final class EngineLatency {

    private EngineLatency() {
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        List<String> sentences = SampleSentences.load();
        if (batch < 1 || batch > sentences.size() || rounds < 1) {
            throw new IllegalArgumentException("usage: EngineLatency [batch 1.." + sentences.size()
                    + "] [rounds >= 1]; got " + String.join(" ", args));
        }
        InferenceOptions options = InferenceOptions.defaults().withBatchSize(batch);
        try (SentenceEncoder fused = SentenceEncoder.load("minilm", options);
             SentenceEncoder ort = SentenceEncoder.load("minilm",
                     options.withEngine(InferenceOptions.Engine.ONNX_RUNTIME))) {
            double[] f = new double[rounds];
            double[] o = new double[rounds];
            for (int r = -20; r < rounds; r++) {
                int at = Math.floorMod(r * batch, sentences.size() - batch + 1);
                List<String> texts = sentences.subList(at, at + batch);
                long t0 = System.nanoTime();
                fused.encode(texts);
                long t1 = System.nanoTime();
                ort.encode(texts);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    f[r] = (t1 - t0) / 1e6;
                    o[r] = (t2 - t1) / 1e6;
                }
            }
            Arrays.sort(f);
            Arrays.sort(o);
            System.out.printf(Locale.ROOT, "SentenceEncoder.encode, MiniLM, %d sentence(s) a call, %d rounds: "
                            + "fused %.2f ms (best %.2f), ONNX Runtime engine %.2f ms (best %.2f): ONNX Runtime "
                            + "%.2f× faster%n", batch, rounds, f[rounds / 2], f[0], o[rounds / 2], o[0],
                    f[rounds / 2] / o[rounds / 2]);
        }
    }
}
