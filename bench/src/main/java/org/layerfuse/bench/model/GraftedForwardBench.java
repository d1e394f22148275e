package org.layerfuse.bench.model;

import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.tokenizer.TokenBatch;
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
 * No hidden cost of grafting: the forward pass of an exported model with one layer removed
 * and plainly pruned ({@code none}) against the same depth after learnable grafting
 * ({@code graft}, coefficients folded into the weights). The two should take the same time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g",
        "-Dorg.bytedeco.javacpp.maxbytes=8g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class GraftedForwardBench {

    @Param({"minilm"})
    String model;

    @Param({"none", "graft"})
    String heal;

    private BertModel exported;
    private TokenBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        PretrainedModels.Pretrained p = BenchModels.load(model);
        BertModel m = BenchModels.classifier(p);
        int layer = m.numLayers() / 2;
        batch = BenchModels.sentences(p, BenchModels.BATCH, BenchModels.SEQ);
        m.removeLayer(layer);
        if (heal.equals("graft")) {
            new GraftHealer(new EncodedExamples(batch, new int[BenchModels.BATCH]), GraftOptions.defaults().withEpochs(1))
                    .heal(m, layer, 1);
        }
        exported = BertModel.fromWeights(m.exportWeights());
    }

    @Benchmark
    public Forward forward() {
        return exported.forward(batch);
    }
}
