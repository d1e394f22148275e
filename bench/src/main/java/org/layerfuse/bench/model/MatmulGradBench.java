package org.layerfuse.bench.model;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.graph.GradientCalls;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under "training step ≤ 3× the forward": one SameDiff matrix product y = x·W
 * ({@code [1024, in] · [in, out]}, BERT's shapes at 32 × 32 tokens) with loss Σ y ⊙ r,
 * forward alone against a gradient call (forward, then ∂x = ∂y·Wᵀ and ∂W = xᵀ·∂y: three
 * equal GEMMs, so 3× is the ideal before any non-matmul op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class MatmulGradBench {

    @Param({"384x384", "768x768", "768x3072"})
    String shape;

    private SameDiff sd;
    private String output;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModels.startBackend();
        String[] io = shape.split("x");
        int in = Integer.parseInt(io[0]);
        int out = Integer.parseInt(io[1]);
        sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, BenchModels.BATCH * BenchModels.SEQ, in));
        SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, in, out).subi(0.5));
        SDVariable r = sd.constant("r", Nd4j.rand(DataType.FLOAT, BenchModels.BATCH * BenchModels.SEQ, out));
        SDVariable y = x.mmul("y", w);
        y.mul(r).sum("loss").markAsLoss();
        output = y.name();
    }

    @Benchmark
    public Object forward() {
        return sd.output(Map.of(), output).get(output);
    }

    @Benchmark
    public Object gradients() {
        return GradientCalls.outputsAndGradients(sd, Map.of(), List.of("loss"), List.of("x", "w"));
    }
}
