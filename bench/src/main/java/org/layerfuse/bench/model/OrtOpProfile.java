package org.layerfuse.bench.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;

/**
 * Where ONNX Runtime's MiniLM forward spends its time, from its own profiler: a session as
 * {@code OnnxRuntimeEncoder} makes it (2 intra-op threads unless {@code -Dlayerfuse.threads}),
 * profiling on, warm-up runs, then timed runs; the profile's kernel times per operator type, and
 * MatMul by input shape, averaged over the timed runs. Set beside {@link ForwardStageCosts} (our
 * forward's stages in place), it says which side's products and which of its other work are ahead.
 *
 * <pre>
 * java -cp ... org.layerfuse.bench.model.OrtOpProfile [tokens: 32] [runs: 40]
 * </pre>
 */
public final class OrtOpProfile {

    private static final int WARM_UP = 10;

    private OrtOpProfile() {
    }

    public static void main(String[] args) throws OrtException, IOException {
        int seq = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        if (seq < 1 || runs < 1) {
            throw new IllegalArgumentException("OrtOpProfile: tokens and runs must be positive, got " + seq + ", " + runs);
        }
        PretrainedModels.Pretrained p = BenchModels.load("minilm");
        TokenBatch batch = BenchModels.sentences(p, BenchModels.BATCH, seq);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path prefix = Files.createTempDirectory("ort-profile").resolve("minilm");
        String file;
        long wall;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Integer.getInteger("layerfuse.threads", 2));
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.enableProfiling(prefix.toString());
            try (OrtSession session = env.createSession(p.onnxFile().toString(), options)) {
                Map<String, OnnxTensor> feed = new HashMap<>();
                feed.put("input_ids", int64(env, batch.inputIds()));
                if (session.getInputNames().contains("attention_mask")) {
                    feed.put("attention_mask", int64(env, batch.attentionMask()));
                }
                if (session.getInputNames().contains("token_type_ids")) {
                    feed.put("token_type_ids", int64(env, batch.tokenTypeIds()));
                }
                for (int i = 0; i < WARM_UP; i++) {
                    session.run(feed).close();
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < runs; i++) {
                    session.run(feed).close();
                }
                wall = System.nanoTime() - t0;
                file = session.endProfiling();
                feed.values().forEach(OnnxTensor::close);
            }
        }
        JsonNode events = new ObjectMapper().readTree(Path.of(file).toFile());
        List<JsonNode> modelRuns = new java.util.ArrayList<>();
        for (JsonNode e : events) {
            if ("Session".equals(e.path("cat").asText()) && "model_run".equals(e.path("name").asText())) {
                modelRuns.add(e);
            }
        }
        if (modelRuns.size() != WARM_UP + runs) {
            throw new IllegalStateException(file + ": expected " + (WARM_UP + runs) + " model runs, found "
                    + modelRuns.size());
        }
        long from = modelRuns.get(WARM_UP).path("ts").asLong();
        double profiled = 0;
        for (JsonNode r : modelRuns.subList(WARM_UP, modelRuns.size())) {
            profiled += r.path("dur").asDouble();
        }
        Map<String, double[]> byOp = new TreeMap<>();
        Map<String, double[]> byShape = new TreeMap<>();
        for (JsonNode e : events) {
            if (!"Node".equals(e.path("cat").asText()) || !e.path("name").asText().endsWith("_kernel_time")
                    || e.path("ts").asLong() < from) {
                continue;
            }
            String op = e.path("args").path("op_name").asText();
            double us = e.path("dur").asDouble();
            add(byOp, op, us);
            if (op.contains("MatMul")) {
                add(byShape, op + " " + e.path("args").path("input_type_shape").toString(), us);
            }
        }
        System.out.printf(Locale.ROOT, "ONNX Runtime, MiniLM, batch %d x %d, %d runs after %d: %.2f ms a run by the "
                + "clock, %.2f ms by the profiler%n", BenchModels.BATCH, seq, runs, WARM_UP, wall / 1e6 / runs,
                profiled / 1e3 / runs);
        print("operator", byOp, runs);
        print("MatMul by input shapes", byShape, runs);
        Files.deleteIfExists(Path.of(file));
        Files.deleteIfExists(prefix.getParent()); // the temporary directory, empty now
    }

    private static void add(Map<String, double[]> sums, String key, double us) {
        double[] s = sums.computeIfAbsent(key, k -> new double[2]);
        s[0] += us;
        s[1]++;
    }

    private static void print(String title, Map<String, double[]> sums, int runs) {
        System.out.println("  " + title + ": ms a run (calls a run)");
        sums.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> System.out.printf(Locale.ROOT, "    %-60s %8.2f (%.0f)%n", e.getKey(),
                        e.getValue()[0] / 1e3 / runs, e.getValue()[1] / runs));
    }

    private static OnnxTensor int64(OrtEnvironment env, int[][] rows) throws OrtException {
        LongBuffer buf = LongBuffer.allocate(rows.length * rows[0].length);
        for (int[] row : rows) {
            for (int v : row) {
                buf.put(v);
            }
        }
        return OnnxTensor.createTensor(env, buf.flip(), new long[] {rows.length, rows[0].length});
    }
}
