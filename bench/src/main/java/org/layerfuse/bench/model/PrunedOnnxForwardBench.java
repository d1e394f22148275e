package org.layerfuse.bench.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.onnx.OnnxBertExporter;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ONNX Runtime forward of LayerFuse's ONNX export of a k-layer-pruned model against the
 * unpruned export (k = 0), the deployment question: does removing k of L layers buy the ideal
 * L/(L−k) in a production runtime? Same batch, threads and export path for every k; layers are
 * removed from the middle outwards, as in {@link PrunedForwardBench}. {@code removed = -1} runs
 * the original MiniLM ONNX file (from its Maven artifact) for reference: our export's graph
 * against the one torch wrote.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PrunedOnnxForwardBench {

    @Param({"minilm"})
    String model;

    @Param({"-1", "0", "2", "3"})
    int removed;

    private OnnxRuntimeEncoder ort;
    private TokenBatch batch;
    private Path file;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        PretrainedModels.Pretrained p = BenchModels.load(model);
        batch = BenchModels.sentences(p, BenchModels.BATCH, BenchModels.SEQ);
        int threads = Integer.getInteger("layerfuse.threads", 2);
        if (removed < 0) {
            ort = new OnnxRuntimeEncoder(p.onnxFile(), threads);
            return;
        }
        BertModel full = BertModel.fromWeights(p.weights());
        int layers = full.numLayers();
        for (int k = 0; k < removed; k++) {
            full.removeLayer(layers / 2 + ((k % 2 == 0) ? k / 2 : -(k / 2) - 1));
        }
        file = Files.createTempFile("layerfuse-bench-" + model + "-" + removed, ".onnx");
        OnnxBertExporter.write(full.exportWeights(), file);
        ort = new OnnxRuntimeEncoder(file, threads);
    }

    @Benchmark
    public float[][][] forward() {
        return ort.lastHiddenState(batch);
    }

    @TearDown
    public void close() {
        ort.close();
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
