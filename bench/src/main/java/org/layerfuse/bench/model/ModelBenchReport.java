package org.layerfuse.bench.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.CpuFeatures;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.tf.EasyBertArchive;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The model benchmarks in one run, so that every ratio compares numbers taken on the same
 * machine state, weights, batch (32 × 32 tokens of real sentences) and thread count:
 * our SameDiff forward against ONNX Runtime (MiniLM) and TF Java (BERT-base), the training
 * step, 256-example evaluation, pruned-model speed-ups, and a per-op profile. Writes
 * {@code MODELS.md}, {@code PROFILE.md} and the JMH JSON.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.ModelBenchReport \
 *     [--repo ..] [--md MODELS.md] [--profile PROFILE.md] [--json target/model-bench.json] [--include regex]
 *     [--batch 1,8,32]
 * </pre>
 * {@code --batch} runs the forward benchmarks (ours and ONNX Runtime's) at each batch size too
 * (the other tables stay at 32 × 32); the sizes other than 32 get a table of their own.
 * (bench/pom.xml's {@code model-bench} profile runs it.)
 */
public final class ModelBenchReport {

    private ModelBenchReport() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        Path repo = Path.of(o.getOrDefault("--repo", "..")).toAbsolutePath().normalize();
        Path md = Path.of(o.getOrDefault("--md", "MODELS.md")).toAbsolutePath();
        Path profileMd = Path.of(o.getOrDefault("--profile", "PROFILE.md")).toAbsolutePath();
        Path json = Path.of(o.getOrDefault("--json", "target/model-bench.json")).toAbsolutePath();
        int threads = Integer.getInteger("layerfuse.threads", 2);
        Files.createDirectories(json.getParent());
        String load = load();

        // The JMH forks first, then TF Java in its own JVM, then the per-op profile in this JVM
        // (last, so that its models' native memory does not sit beside a fork's).
        OptionsBuilder options = new OptionsBuilder();
        options.include(o.getOrDefault("--include", "org.layerfuse.bench.model.*Bench"))
                .jvmArgsAppend("-Dlayerfuse.threads=" + threads)
                .resultFormat(ResultFormatType.JSON).result(json.toString());
        if (o.containsKey("--batch")) {
            options.param("batch", batches(o.get("--batch")));
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        Map<String, Double> ms = new LinkedHashMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String key = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
            for (String param : r.getParams().getParamsKeys()) {
                key += " " + param + "=" + r.getParams().getParam(param);
            }
            ms.put(key, r.getPrimaryResult().getScore());
        }

        TfJavaTiming.Timing tf = null;
        try {
            PretrainedModels.Pretrained base = BenchModels.load("bert-base");
            TokenBatch batch = BenchModels.sentences(base, BenchModels.BATCH, BenchModels.SEQ);
            tf = TfJavaTiming.run(repo, EasyBertArchive.savedModelDir(), batch, threads, 10);
        } catch (IOException e) {
            System.err.println("TF Java reference skipped: " + e.getMessage());
        }
        double gemm = measuredGemm();
        write(md, table(ms, tf, gemm, threads, load));
        System.out.println(Files.readString(md));

        StringBuilder profile = new StringBuilder("# Per-op profile of our SameDiff BERT\n\n"
                + "One forward and one gradient call at batch 32 × 32 tokens, " + threads + " threads, after warm-up; "
                + "op times from a SameDiff listener, \"outside ops\" is SameDiff's own scheduling and allocation.\n");
        for (String name : List.of("minilm", "bert-base")) {
            PretrainedModels.Pretrained p = BenchModels.load(name);
            BertModel m = BenchModels.classifier(p);
            int[] labels = new int[BenchModels.BATCH];
            profile.append("\n## ").append(name).append('\n')
                    .append(OpProfile.profile(m, BenchModels.sentences(p, BenchModels.BATCH, BenchModels.SEQ), labels, 3));
        }
        write(profileMd, profile.toString());
    }

    /** The oneDNN ISA cap set in the environment (it reads {@code ONEDNN_MAX_CPU_ISA}, then {@code DNNL_MAX_CPU_ISA}). */
    private static String oneDnnIsaCap() {
        for (String name : List.of("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")) {
            String v = System.getenv(name);
            if (v != null && !v.isBlank()) {
                return "`" + name + "=" + v + "`";
            }
        }
        return "none";
    }

    static String table(Map<String, Double> ms, TfJavaTiming.Timing tf, double gemmGflops, int threads, String load) {
        CpuFeatures cpu = CpuFeatures.detect();
        double ghz = cpuGhz();
        double peak = threads * ghz * cpu.fp32FlopsPerCyclePerCore();
        BertConfig mini = PretrainedModels.load("minilm").weights().config();
        BertConfig base = BertConfig.bertBaseUncased();
        StringBuilder sb = new StringBuilder("# Model benchmarks\n\n");
        sb.append(String.format(Locale.ROOT, "%s, %s, JDK %s, ND4J %s, %d threads, batch %d × %d tokens of real "
                        + "sentences; JMH 1 fork (AverageTime); 1-minute load average %s at the start.%n%n",
                LocalDate.now(), cpu.modelName(), Runtime.version(), Backend.info(), threads, BenchModels.BATCH,
                BenchModels.SEQ, load));
        sb.append(String.format(Locale.ROOT, "Vector code paths: the JVM's preferred float vector has %d lanes; "
                + "oneDNN's ISA cap: %s.%n%n", FloatVector.SPECIES_PREFERRED.length(), oneDnnIsaCap()));
        sb.append(String.format(Locale.ROOT, "FMA peak: %d cores × %.2f GHz × %d FLOP/cycle/core = %.0f GFLOP/s "
                        + "(nominal: FMA pipes × lanes × 2 from the CPU flags, `CpuFeatures.fp32FlopsPerCyclePerCore`; "
                        + "clock from /proc/cpuinfo). Measured sgemm (ND4J/OpenBLAS, 1024×768 · 768×3072): %.0f GFLOP/s.%n%n",
                threads, ghz, cpu.fp32FlopsPerCyclePerCore(), peak, gemmGflops));
        sb.append("| what | model | ms | examples/s | GFLOP/s | % of FMA peak | ratio |\n|---|---|---:|---:|---:|---:|---|\n");
        String seq = " seq=" + BenchModels.SEQ;
        String batch = "batch=" + BenchModels.BATCH + " ";
        double miniFwd = get(ms, "ForwardBench.forward " + batch + "model=minilm path=fused" + seq);
        double baseFwd = get(ms, "ForwardBench.forward " + batch + "model=bert-base path=fused" + seq);
        double miniPacked = get(ms, "ForwardBench.forward " + batch + "model=minilm path=packed" + seq);
        double basePacked = get(ms, "ForwardBench.forward " + batch + "model=bert-base path=packed" + seq);
        double miniPre = get(ms, "ForwardBench.forward " + batch + "model=minilm path=fused-prepacked" + seq);
        double basePre = get(ms, "ForwardBench.forward " + batch + "model=bert-base path=fused-prepacked" + seq);
        double miniPackedPre = get(ms, "ForwardBench.forward " + batch + "model=minilm path=packed-prepacked" + seq);
        double basePackedPre = get(ms, "ForwardBench.forward " + batch + "model=bert-base path=packed-prepacked" + seq);
        double miniGraph = get(ms, "ForwardBench.forward " + batch + "model=minilm path=graph" + seq);
        double baseGraph = get(ms, "ForwardBench.forward " + batch + "model=bert-base path=graph" + seq);
        double ort = get(ms, "OnnxRuntimeForwardBench.forward " + batch.trim() + seq);
        double fMini = BenchModels.forwardFlops(mini, 6, BenchModels.BATCH, BenchModels.SEQ);
        double fBase = BenchModels.forwardFlops(base, 12, BenchModels.BATCH, BenchModels.SEQ);
        row(sb, "forward, fused (BertModel.forward)", "MiniLM", miniFwd, fMini, peak, String.format(Locale.ROOT,
                "%.2f× ONNX Runtime throughput", ort / miniFwd));
        if (!Double.isNaN(miniPacked)) {
            row(sb, "logits on the real tokens alone (BertModel.forwardPacked)", "MiniLM", miniPacked, fMini, peak,
                    String.format(Locale.ROOT, "%.2f× ONNX Runtime throughput (padding not computed)", ort / miniPacked));
        }
        prepacked(sb, "MiniLM", miniPre, miniPackedPre, ort, "ONNX Runtime", fMini, peak);
        row(sb, "forward, SameDiff graph", "MiniLM", miniGraph, fMini, peak, String.format(Locale.ROOT,
                "%.2f× ONNX Runtime throughput", ort / miniGraph));
        row(sb, "forward, ONNX Runtime 1.20", "MiniLM", ort, fMini, peak, "reference");
        row(sb, "forward, fused (BertModel.forward)", "BERT-base", baseFwd, fBase, peak, tf == null ? "TF Java not run"
                : String.format(Locale.ROOT, "%.2f× TF Java throughput", tf.medianMs() / baseFwd));
        if (!Double.isNaN(basePacked)) {
            row(sb, "logits on the real tokens alone (BertModel.forwardPacked)", "BERT-base", basePacked, fBase, peak,
                    tf == null ? "TF Java not run" : String.format(Locale.ROOT,
                            "%.2f× TF Java throughput (padding not computed)", tf.medianMs() / basePacked));
        }
        prepacked(sb, "BERT-base", basePre, basePackedPre, tf == null ? Double.NaN : tf.medianMs(), "TF Java", fBase,
                peak);
        row(sb, "forward, SameDiff graph", "BERT-base", baseGraph, fBase, peak, tf == null ? "TF Java not run"
                : String.format(Locale.ROOT, "%.2f× TF Java throughput", tf.medianMs() / baseGraph));
        if (tf != null) {
            row(sb, "forward, TF Java 1.1 (median of 10)", "BERT-base", tf.medianMs(), fBase, peak, "reference");
        }
        double miniStep = get(ms, "TrainStepBench.step model=minilm path=padded" + seq);
        double baseStep = get(ms, "TrainStepBench.step model=bert-base path=padded" + seq);
        row(sb, "training step (fwd+bwd+AdamW)", "MiniLM", miniStep, 3 * fMini, peak,
                String.format(Locale.ROOT, "%.2f× the forward time (goal ≤ 3.5)", miniStep / miniFwd));
        double miniPackedStep = get(ms, "TrainStepBench.step model=minilm path=packed" + seq);
        packedStep(sb, "MiniLM", miniPackedStep, miniStep, miniPacked, fMini, peak);
        row(sb, "training step (fwd+bwd+AdamW)", "BERT-base", baseStep, 3 * fBase, peak,
                String.format(Locale.ROOT, "%.2f× the forward time (goal ≤ 3.5)", baseStep / baseFwd));
        double basePackedStep = get(ms, "TrainStepBench.step model=bert-base path=packed" + seq);
        packedStep(sb, "BERT-base", basePackedStep, baseStep, basePacked, fBase, peak);
        for (String evalBatch : List.of("32", "64", "256")) {
            double t = get(ms, "EvaluationBench.evaluate256 evalBatch=" + evalBatch + " model=bert-base");
            if (!Double.isNaN(t)) {
                sb.append(String.format(Locale.ROOT, "| evaluate 256 examples (batches of %s), no gradients | BERT-base "
                        + "| %.0f | %.0f | %.0f | %.0f%% | goal ≤ 2000 ms |%n", evalBatch, t, 256 / (t / 1000),
                        8 * fBase / t / 1e6, 100 * 8 * fBase / t / 1e6 / peak));
            }
        }
        smallBatches(sb, ms);
        matmulFloor(sb, ms);
        sb.append("\nGFLOP/s count 2 FLOP per multiply-add of the encoder's matrix products (training step: 3× the "
                + "forward's; the real-tokens rows count the padded batch's, an effective rate). "
                + "examples/s = 32 / time.\n\n## Pruned models (exported, plain shallower BERT)\n\n")
                .append("| model | layers removed | forward ms | speed-up | ideal L/(L−k) |\n|---|---:|---:|---:|---:|\n");
        double full = get(ms, "PrunedForwardBench.forward model=minilm removed=0");
        for (int k = 0; k < 6; k++) {
            double t = get(ms, "PrunedForwardBench.forward model=minilm removed=" + k);
            if (!Double.isNaN(t)) {
                sb.append(String.format(Locale.ROOT, "| MiniLM | %d | %.0f | %.2f× | %.2f× |%n", k, t, full / t,
                        6.0 / (6 - k)));
            }
        }
        double plain = get(ms, "GraftedForwardBench.forward heal=none model=minilm");
        double grafted = get(ms, "GraftedForwardBench.forward heal=graft model=minilm");
        if (!Double.isNaN(plain) || !Double.isNaN(grafted)) {
            sb.append(String.format(Locale.ROOT, "%n## Prune-and-fuse (FuseGPT grafting)%n%n| what | MiniLM | BERT-base |%n"
                    + "|---|---:|---:|%n| grafting one removed layer (G = 7, r = 128, 32 examples × 2 epochs, batch 16), "
                    + "ms | %.0f | %.0f |%n%n| exported 5-layer MiniLM | forward ms |%n|---|---:|%n| plainly pruned | %.1f |%n"
                    + "| grafted (coefficients folded) | %.1f |%n| ratio grafted / plain | %.3f |%n",
                    get(ms, "GraftBench.graftOneLayer model=minilm"), get(ms, "GraftBench.graftOneLayer model=bert-base"),
                    plain, grafted, grafted / plain));
        }
        return sb.toString();
    }

    /**
     * The batch sizes of {@code --batch} (positive integers, comma-separated), with 32 added when
     * missing: the main table's rows are the 32 × 32 runs.
     */
    static String[] batches(String list) {
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>(List.of(BenchModels.BATCH));
        for (String value : list.split(",")) {
            try {
                int b = Integer.parseInt(value.trim());
                if (b < 1) {
                    throw new NumberFormatException();
                }
                sizes.add(b);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--batch: expected positive batch sizes separated by commas "
                        + "(e.g. 1,8,32), got '" + list + "'");
            }
        }
        return sizes.stream().map(String::valueOf).toArray(String[]::new);
    }

    /**
     * The forward at the batch sizes other than 32 that {@code --batch} ran: ours against ONNX
     * Runtime for MiniLM (the same batch, same JMH run), BERT-base's fused forward, and the time
     * per example, which shows what a small batch costs against the 32 × 32 rows above.
     */
    private static void smallBatches(StringBuilder sb, Map<String, Double> ms) {
        java.util.TreeMap<Integer, String> rows = new java.util.TreeMap<>();
        String prefix = "ForwardBench.forward batch=";
        String seq = " seq=" + BenchModels.SEQ;
        for (String key : ms.keySet()) {
            if (!key.startsWith(prefix) || !key.endsWith(seq)) {
                continue;
            }
            int b = Integer.parseInt(key.substring(prefix.length(), key.indexOf(' ', prefix.length())));
            if (b == BenchModels.BATCH || rows.containsKey(b)) {
                continue;
            }
            String at = "batch=" + b + " ";
            double mini = get(ms, "ForwardBench.forward " + at + "model=minilm path=fused" + seq);
            double ort = get(ms, "OnnxRuntimeForwardBench.forward " + at.trim() + seq);
            double base = get(ms, "ForwardBench.forward " + at + "model=bert-base path=fused" + seq);
            double packed = get(ms, "ForwardBench.forward " + at + "model=minilm path=packed" + seq);
            rows.put(b, String.format(Locale.ROOT, "| %d × %d | %.2f | %.2f | %.2f× | %.2f | %.2f | %.2f (%.2f×) |%n",
                    b, BenchModels.SEQ, mini, ort, ort / mini, mini / b, base, packed, ort / packed));
        }
        if (!rows.isEmpty()) {
            sb.append("\n### Small batches (latency)\n\n| batch × tokens | MiniLM fused ms | ONNX Runtime ms | ratio "
                    + "(throughput) | MiniLM fused ms per example | BERT-base fused ms | MiniLM real tokens alone ms "
                    + "(against ONNX Runtime) |\n|---|---:|---:|---:|---:|---:|---:|\n");
            rows.values().forEach(sb::append);
        }
    }

    /**
     * One matrix product's gradient call against its forward: what SameDiff gives where 3× is
     * ideal. One row per shape that {@link MatmulGradBench} ran.
     */
    private static void matmulFloor(StringBuilder sb, Map<String, Double> ms) {
        String forwardKey = "MatmulGradBench.forward shape=";
        StringBuilder rows = new StringBuilder();
        for (String key : ms.keySet()) {
            if (!key.startsWith(forwardKey)) {
                continue;
            }
            String shape = key.substring(forwardKey.length());
            double f = ms.get(key);
            double g = get(ms, "MatmulGradBench.gradients shape=" + shape);
            if (!Double.isNaN(g)) {
                String[] io = shape.split("x");
                rows.append(String.format(Locale.ROOT, "| [1024, %s] · [%s, %s] | %.1f | %.1f | %.2f× |%n", io[0], io[0],
                        io[1], f, g, g / f));
            }
        }
        if (rows.length() > 0) {
            sb.append("\n### One matrix product alone: gradient call against forward (3× is the ideal)\n\n")
                    .append("| x · W | forward ms | gradient call ms | ratio |\n|---|---:|---:|---:|\n").append(rows);
        }
    }

    private static void row(StringBuilder sb, String what, String model, double ms, double flops, double peak,
                            String ratio) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.1f | %.0f | %.0f%% | %s |%n", what, model, ms,
                BenchModels.BATCH / (ms / 1000), flops / ms / 1e6, 100 * flops / ms / 1e6 / peak, ratio));
    }

    /** The forwards with the weights packed once ({@code BertModel.packWeights}), if they ran. */
    private static void prepacked(StringBuilder sb, String model, double full, double packed, double reference,
                                  String referenceName, double flops, double peak) {
        if (!Double.isNaN(full)) {
            row(sb, "forward, fused, weights prepacked (as the deploy API runs it)", model, full, flops, peak,
                    Double.isNaN(reference) ? referenceName + " not run" : String.format(Locale.ROOT,
                            "%.2f× %s throughput", reference / full, referenceName));
        }
        if (!Double.isNaN(packed)) {
            row(sb, "real tokens alone, weights prepacked", model, packed, flops, peak,
                    Double.isNaN(reference) ? referenceName + " not run" : String.format(Locale.ROOT,
                            "%.2f× %s throughput (padding not computed)", reference / packed, referenceName));
        }
    }

    /** The packed training step's row, if it ran: against the padded step and the packed forward. */
    private static void packedStep(StringBuilder sb, String model, double packed, double padded, double packedForward,
                                   double flops, double peak) {
        if (!Double.isNaN(packed)) {
            row(sb, "training step on the real tokens alone (packed)", model, packed, 3 * flops, peak,
                    String.format(Locale.ROOT, "%.2f× faster than the padded step; %.2f× the packed forward",
                            padded / packed, packed / packedForward));
        }
    }

    private static double get(Map<String, Double> ms, String key) {
        return ms.getOrDefault(key, Double.NaN);
    }

    private static double measuredGemm() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 1024, 768);
        INDArray b = Nd4j.rand(DataType.FLOAT, 768, 3072);
        INDArray c = Nd4j.create(DataType.FLOAT, 1024, 3072);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 8; i++) {
            long t = System.nanoTime();
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            best = Math.min(best, System.nanoTime() - t);
        }
        return 2.0 * 1024 * 768 * 3072 / best;
    }

    private static double cpuGhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    return Double.parseDouble(line.substring(line.indexOf(':') + 1).trim()) / 1000;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Double.NaN;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static void write(Path target, String text) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path part = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName().toString(), ".part");
        Files.writeString(part, text, StandardCharsets.UTF_8);
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
