package org.layerfuse.bench.kernels;

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
import java.util.TreeMap;
import jdk.incubator.vector.FloatVector;
import org.layerfuse.engine.CpuFeatures;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link KernelBench} and {@link MemoryBandwidthBench} with JMH's Runner API, writes the
 * JMH JSON results, and prints (and writes as Markdown) a table: kernel, size, scalar and
 * vector ns/op, speed-up, vector GB/s and its share of the best measured bandwidth
 * (STREAM-counted read, copy or triad), and the vector kernel's allocation per call.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.kernels.KernelBenchReport \
 *     [--json target/kernel-bench.json] [--md KERNELS.md] [--sizes 1000,1000000] [--include regex]
 * </pre>
 * (bench/pom.xml's {@code kernel-bench} profile runs it: see bench/KERNELS.md.)
 */
public final class KernelBenchReport {

    private static final Map<String, String> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("sum", "Σx (mean: inhibition)");
        NAMES.put("sumAbs", "Σ|x| (mean |x|: intensity)");
        NAMES.put("sumSquares", "Σx² (mean x², L2: energy, norm)");
        NAMES.put("sumSquaresDirectBuffer", "Σx², direct buffer (ND4J view)");
        NAMES.put("countZeros", "count of zeros (sparsity)");
        NAMES.put("dot", "dot");
        NAMES.put("l1Entropy", "ℓ1 entropy (2 passes, log)");
        NAMES.put("rowEntropy", "row entropy, rows of 32 (log)");
        NAMES.put("log", "log (FloatLog; scalar: Math.log)");
        NAMES.put("gradientAccumulate", "gradient Σ|g|, Σg² (double lanes)");
    }

    private KernelBenchReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        Map<String, String> options = parse(args);
        Path json = Path.of(options.getOrDefault("--json", "target/kernel-bench.json")).toAbsolutePath();
        Path markdown = Path.of(options.getOrDefault("--md", "KERNELS.md")).toAbsolutePath();
        Files.createDirectories(json.getParent());
        Path jsonPart = Files.createTempFile(json.getParent(), json.getFileName().toString(), ".part");
        ChainedOptionsBuilder builder = new OptionsBuilder()
                .include(options.getOrDefault("--include",
                        KernelBench.class.getName() + "|" + FusedKernelBench.class.getName() + "|"
                                + TrainingKernelBench.class.getName() + "|" + AdamWTableBench.class.getName() + "|"
                                + MemoryBandwidthBench.class.getName()))
                .addProfiler(GCProfiler.class)
                .resultFormat(ResultFormatType.JSON)
                .result(jsonPart.toString());
        if (options.containsKey("--sizes")) {
            builder.param("size", options.get("--sizes").split(","));
        }
        String loadBefore = loadAverage();
        long start = System.nanoTime();
        Collection<RunResult> results = new Runner(builder.build()).run();
        Files.move(jsonPart, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        String table = report(results, (System.nanoTime() - start) / 1e9, loadBefore, loadAverage());
        System.out.println(table);
        writeAtomically(markdown, table);
        System.out.println("JMH JSON: " + json + "\nTable: " + markdown);
    }

    /** The 1-minute load average (other processes compete for the cores), or "n/a". */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static final String NATIVE = "Native";
    private static final String NATIVE_ROW = " (native memory, one pass)";

    /** The kernel a report row measures: a native row's name without {@link #NATIVE_ROW}. */
    private static String baseKernel(String row) {
        return row.endsWith(NATIVE_ROW) ? row.substring(0, row.length() - NATIVE_ROW.length()) : row;
    }

    static String report(Collection<RunResult> results, double seconds, String loadBefore, String loadAfter) {
        Map<String, Double> bandwidth = new TreeMap<>();
        Map<String, Map<Integer, double[]>> kernels = new LinkedHashMap<>(); // kernel -> size -> {scalar, vector, allocVector}
        Map<String, Map<String, double[]>> fused = new LinkedHashMap<>(); // kernel -> shape -> {scalar, vector}
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            if (r.getParams().getParam("shape") != null) {
                boolean scalar = method.endsWith("Scalar");
                // xxxNative: the vector kernel xxx in one pass over native memory, a row of its own
                String kernel = method.endsWith(NATIVE)
                        ? method.substring(0, method.length() - NATIVE.length()) + NATIVE_ROW
                        : method.substring(0, method.length() - (scalar ? "Scalar".length() : "Vector".length()));
                fused.computeIfAbsent(kernel, k -> new LinkedHashMap<>())
                        .computeIfAbsent(r.getParams().getParam("shape"), s -> new double[] {Double.NaN, Double.NaN})
                        [scalar ? 0 : 1] = r.getPrimaryResult().getScore();
                continue;
            }
            int size = Integer.parseInt(r.getParams().getParam("size"));
            double ns = r.getPrimaryResult().getScore();
            if (method.equals("copy") || method.equals("triad") || method.equals("read")) {
                double bytes = (method.equals("copy") ? 8.0 : method.equals("triad") ? 12.0 : 4.0) * size;
                bandwidth.put(method, bytes / ns);
                continue;
            }
            boolean scalar = method.endsWith("Scalar");
            String kernel = method.substring(0, method.length() - (scalar ? "Scalar".length() : "Vector".length()));
            double[] row = kernels.computeIfAbsent(kernel, k -> new TreeMap<>())
                    .computeIfAbsent(size, s -> new double[] {Double.NaN, Double.NaN, Double.NaN});
            row[scalar ? 0 : 1] = ns;
            if (!scalar) {
                row[2] = allocation(r);
            }
        }
        fused.forEach((kernel, shapes) -> { // a native row's speed-up is against the same scalar loop
            if (kernel.endsWith(NATIVE_ROW)) {
                Map<String, double[]> base = fused.get(baseKernel(kernel));
                shapes.forEach((shape, v) -> {
                    if (Double.isNaN(v[0]) && base != null && base.containsKey(shape)) {
                        v[0] = base.get(shape)[0];
                    }
                });
            }
        });
        double best = bandwidth.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        StringBuilder md = new StringBuilder();
        CpuFeatures cpu = CpuFeatures.detect();
        md.append("# Kernel benchmarks\n\n")
                .append(String.format(Locale.ROOT, "%s, %s, JDK %s, %s (%d float lanes), %d logical cores; "
                                + "single-threaded; JMH 1 fork, 2×0.5 s warm-up, 3×0.5 s measurement (bandwidth: 5); "
                                + "run took %.0f s; 1-minute load average %s before, %s after (the cores are shared "
                                + "with other jobs: numbers are noisy).%n%n",
                        LocalDate.now(), cpu.modelName(), Runtime.version(), FloatVector.SPECIES_PREFERRED,
                        FloatVector.SPECIES_PREFERRED.length(), cpu.logicalCores(), seconds, loadBefore, loadAfter))
                .append("Measured single-thread bandwidth (STREAM counting, 2²⁵ floats per array): ");
        bandwidth.forEach((k, v) -> md.append(String.format(Locale.ROOT, "%s %.1f GB/s; ", k, v)));
        md.append("best ").append(number("%.1f", best)).append(" GB/s.\n\n")
                .append("Scalar = the reference loop in `ScalarKernels` (double accumulator, one element at a time, "
                        + "`Math.log`). GB/s = bytes read by the vector kernel / time (dot reads 8 B per element, "
                        + "the rest 4 B). B/op = heap allocated per vector call (JMH GC profiler).\n\n")
                .append("Reproduce: `mvn -q -pl bench -am package -DskipTests -Dkernel-bench` (writes this file and "
                        + "bench/target/kernel-bench.json), or with the class path from "
                        + "`mvn -q -pl bench -am package dependency:build-classpath -DskipTests -Dmdep.outputFile=target/cp.txt`: "
                        + "`java --add-modules jdk.incubator.vector -cp bench/target/classes:$(cat bench/target/cp.txt) "
                        + "org.layerfuse.bench.kernels.KernelBenchReport --json bench/target/kernel-bench.json --md bench/KERNELS.md`.\n\n")
                .append("| kernel | n | scalar ns/op | vector ns/op | speed-up | vector GB/s | % of bandwidth | vector B/op |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String> order = new java.util.ArrayList<>(NAMES.keySet());
        kernels.keySet().stream().filter(k -> !NAMES.containsKey(k)).forEach(order::add);
        for (String kernel : order) {
            if (!kernels.containsKey(kernel)) {
                continue;
            }
            for (Map.Entry<Integer, double[]> s : kernels.get(kernel).entrySet()) {
                double[] v = s.getValue();
                double bytes = (kernel.equals("dot") ? 8.0 : 4.0) * s.getKey();
                double gbs = bytes / v[1];
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        NAMES.getOrDefault(kernel, kernel).replace("|", "\\|"), sizeLabel(s.getKey()), ns(v[0]), ns(v[1]),
                        number("%.1f×", v[0] / v[1]), number("%.1f", gbs), number("%.0f%%", 100 * gbs / best),
                        number("%.0f", v[2])));
            }
        }
        fusedTable(md, fused, best);
        return md.toString();
    }

    /**
     * The fused-forward kernels on one layer's shapes: MiniLM at 32 × 32 tokens, BERT-base at
     * 32 × 128. GB/s counts bytes read and written once (in place: 8 B per element; layer norm
     * with its residual: 12 B); attention is compute-bound, so it is given in GFLOP/s
     * (4·S²·d per head: QKᵀ and PV).
     */
    private static void fusedTable(StringBuilder md, Map<String, Map<String, double[]>> fused, double best) {
        if (fused.isEmpty()) {
            return;
        }
        md.append("\n## Fused-forward and training kernels (`engine.fused`), one layer's shapes, single-threaded\n\n")
                .append("`minilm`: MiniLM at batch 32 × 32 tokens (H 384, FFN 1536, 12 heads of 32); `bert-base`: "
                        + "BERT-base at 32 × 128 (H 768, FFN 3072, 12 heads of 64). Scalar = the double loops of "
                        + "`ScalarTransformerKernels` / `ScalarBackwardKernels`. GB/s = (read + write) bytes / time; "
                        + "the `…Backward` and `columnSums` rows are the training graph's gradient kernels, `embeddingSum` its "
                        + "input (rows gathered from the vocabulary-sized tables). "
                        + "Attention: one sequence, all heads, GFLOP/s.\n\n")
                .append("| kernel | shape | elements | scalar ns/op | vector ns/op | speed-up | vector GB/s (GFLOP/s) | "
                        + "% of bandwidth |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, double[]>> k : fused.entrySet()) {
            for (Map.Entry<String, double[]> e : k.getValue().entrySet()) {
                boolean mini = e.getKey().equals("minilm");
                long seq = mini ? 32 : 128;
                long hidden = mini ? 384 : 768;
                long tokens = 32 * seq;
                long n;
                double bytesPerElement;
                switch (baseKernel(k.getKey())) {
                    case "biasGeluErf", "biasGeluTanh", "biasAdd" -> {
                        n = tokens * 4 * hidden;
                        bytesPerElement = 8;
                    }
                    case "biasResidualLayerNorm" -> {
                        n = tokens * hidden;
                        bytesPerElement = 12;
                    }
                    case "scaleMaskSoftmax", "softmaxKeys" -> {
                        n = 32 * 12 * seq * seq;
                        bytesPerElement = 8;
                    }
                    case "layerNormBackward" -> {
                        n = tokens * hidden;
                        bytesPerElement = 12; // x and dy read, dx written
                    }
                    case "geluErfBackward", "geluTanhBackward" -> {
                        n = tokens * 4 * hidden;
                        bytesPerElement = 12;
                    }
                    case "embeddingSum" -> {
                        n = tokens * hidden;
                        bytesPerElement = 16; // three table rows read, the sum written
                    }
                    case "geluErfWithDerivative", "geluGradientProduct" -> {
                        n = tokens * 4 * hidden;
                        bytesPerElement = 12; // x read, y and GELU'(x) written; d and dy read, dx written
                    }
                    case "biasAddInto" -> {
                        n = tokens * 4 * hidden;
                        bytesPerElement = 8; // x read, x + b written
                    }
                    case "adamwDense" -> {
                        n = AdamWTableBench.VOCABULARY * hidden;
                        bytesPerElement = 28; // θ, g, m, v read; θ, m, v written
                    }
                    case "adamwTable" -> {
                        n = AdamWTableBench.VOCABULARY * hidden;
                        bytesPerElement = 12; // the skipped rows' g read, θ read and written (the batch's rows: 28)
                    }
                    case "columnSums" -> {
                        n = tokens * 4 * hidden;
                        bytesPerElement = 4;
                    }
                    default -> {
                        n = 12 * seq * seq; // attention: scores of one sequence
                        bytesPerElement = Double.NaN;
                    }
                }
                double[] v = e.getValue();
                boolean attention = Double.isNaN(bytesPerElement);
                // Forward: QKᵀ and PV (4·S²·d per head); backward: dP, dQ, dK and dV (8·S²·d).
                double flops = (k.getKey().equals("attentionBackward") ? 8.0 : 4.0) * seq * seq * hidden;
                double rate = attention ? flops / v[1] : bytesPerElement * n / v[1];
                md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %s | %s | %s | %s | %s |%n", k.getKey(),
                        e.getKey(), n, ns(v[0]), ns(v[1]), number("%.1f×", v[0] / v[1]),
                        attention ? number("(%.1f)", rate) : number("%.1f", rate),
                        attention ? "–" : number("%.0f%%", 100 * rate / best)));
            }
        }
    }

    private static double allocation(RunResult r) {
        for (Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
            if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                return e.getValue().getScore();
            }
        }
        return Double.NaN;
    }

    private static String number(String format, double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "–" : String.format(Locale.ROOT, format, value);
    }

    private static String sizeLabel(int n) {
        return switch (n) {
            case 1000 -> "10³";
            case 1_000_000 -> "10⁶";
            case 100_000_000 -> "10⁸";
            default -> Integer.toString(n);
        };
    }

    private static String ns(double ns) {
        return Double.isNaN(ns) ? "–" : ns >= 100 ? String.format(Locale.ROOT, "%,.0f", ns) : String.format(Locale.ROOT, "%.1f", ns);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> known = List.of("--json", "--md", "--sizes", "--include");
        for (int i = 0; i < args.length; i++) {
            if (!known.contains(args[i]) || i + 1 >= args.length) {
                throw new IllegalArgumentException("KernelBenchReport: unknown option or missing value '" + args[i]
                        + "'; options: " + known + " each followed by a value");
            }
            options.put(args[i], args[++i]);
        }
        return options;
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path part = Files.createTempFile(dir, target.getFileName().toString(), ".part");
        Files.writeString(part, text, StandardCharsets.UTF_8);
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

}
