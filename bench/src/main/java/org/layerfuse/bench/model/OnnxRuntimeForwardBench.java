package org.layerfuse.bench.model;

import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same MiniLM forward in ONNX Runtime on the same ONNX file, same batch ({@code batch} ×
 * {@code seq}), same thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class OnnxRuntimeForwardBench {

    @org.openjdk.jmh.annotations.Param({"32"})
    int seq;

    @org.openjdk.jmh.annotations.Param({"32"})
    int batch;

    private OnnxRuntimeEncoder ort;
    private TokenBatch sentences;

    @Setup(Level.Trial)
    public void setUp() {
        PretrainedModels.Pretrained p = BenchModels.load("minilm");
        ort = new OnnxRuntimeEncoder(p.onnxFile(), Integer.getInteger("layerfuse.threads", 2));
        sentences = BenchModels.sentences(p, batch, seq);
    }

    @Benchmark
    public float[][][] forward() {
        return ort.lastHiddenState(sentences);
    }

    @TearDown
    public void close() {
        ort.close();
    }
}
