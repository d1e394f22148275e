package org.layerfuse.bench.model;

import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.tokenizer.TokenBatch;
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
 * Forward pass of an exported pruned model (k layers removed, the rest renumbered into a
 * plain shallower BERT, as {@code layerfuse prune} writes it) against the ideal speed-up
 * L/(L−k). Layers are removed from the middle outwards; which ones does not change the cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g",
        "-Dorg.bytedeco.javacpp.maxbytes=8g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class PrunedForwardBench {

    @Param({"minilm"})
    String model;

    @Param({"0", "1", "2", "3", "4", "5"})
    int removed;

    private BertModel exported;
    private TokenBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        PretrainedModels.Pretrained p = BenchModels.load(model);
        BertModel full = BenchModels.classifier(p);
        int layers = full.numLayers();
        if (removed >= layers) {
            throw new IllegalArgumentException("cannot remove " + removed + " of " + layers + " layers");
        }
        for (int k = 0; k < removed; k++) {
            int middle = layers / 2 + ((k % 2 == 0) ? k / 2 : -(k / 2) - 1);
            full.removeLayer(middle);
        }
        exported = BertModel.fromWeights(full.exportWeights());
        batch = BenchModels.sentences(p, BenchModels.BATCH, BenchModels.SEQ);
    }

    @Benchmark
    public Forward forward() {
        return exported.forward(batch);
    }
}
