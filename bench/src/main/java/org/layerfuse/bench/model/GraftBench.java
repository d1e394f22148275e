package org.layerfuse.bench.model;

import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.graft.GraftHealer;
import org.layerfuse.prune.graft.GraftOptions;
import org.layerfuse.weights.PretrainedModels;
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
 * Grafting time per removed layer ({@code --heal graft} with FuseGPT's defaults G = 7,
 * r = 128, on the 32-example calibration batch × 2 epochs at batch 16, i.e. 4 Adam steps):
 * the teacher's window outputs, building the fused window's graph, training A and B and
 * folding them. Each invocation grafts the middle layer of a fresh copy of the model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g",
        "-Dorg.bytedeco.javacpp.maxbytes=10g"})
@Warmup(iterations = 1)
@Measurement(iterations = 2)
public class GraftBench {

    @Param({"minilm", "bert-base"})
    String model;

    private BertModel full;
    private BertModel pruned;
    private EncodedExamples calibration;
    private int layer;

    @Setup(Level.Trial)
    public void setUp() {
        PretrainedModels.Pretrained p = BenchModels.load(model);
        full = BenchModels.classifier(p);
        layer = full.numLayers() / 2;
        calibration = new EncodedExamples(BenchModels.sentences(p, BenchModels.BATCH, BenchModels.SEQ),
                new int[BenchModels.BATCH]);
    }

    @Setup(Level.Invocation)
    public void freshCopy() {
        pruned = full.copy();
        pruned.removeLayer(layer);
    }

    @Benchmark
    public String graftOneLayer() {
        return new GraftHealer(calibration, GraftOptions.defaults()).heal(pruned, layer, 1);
    }
}
