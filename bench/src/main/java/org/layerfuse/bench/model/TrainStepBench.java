package org.layerfuse.bench.model;

import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.train.AdamW;
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
 * One fine-tuning step: forward, backward and the AdamW update (batch 32 × {@code seq} tokens, 32 by default). The
 * warm-up is long (60 s) because the first steps build SameDiff's gradient graph and the JIT
 * compiler is still at work for ≈ 30 s (10 % of the CPU in a profile at 30 s); a fine-tuning
 * run of hundreds of steps sees the steady state measured here. {@code path=padded} computes the
 * padding (the step set against the padded forward, the ratio); {@code path=packed} feeds
 * the training graph the real tokens alone ({@code BertModel.packTraining}, the default of every
 * gradient call): 628 of the 1 024 tokens are real.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g",
        "-Dorg.bytedeco.javacpp.maxbytes=10g"})
@Warmup(iterations = 6, time = 10)
@Measurement(iterations = 5, time = 5)
public class TrainStepBench {

    @Param({"minilm", "bert-base"})
    String model;

    @Param({"padded", "packed"})
    String path;

    /** Tokens a sequence ({@code -p seq=128} for long padded batches of short texts). */
    @Param({"32"})
    int seq;

    private BertModel bert;
    private TokenBatch batch;
    private int[] labels;
    private AdamW adam;

    @Setup(Level.Trial)
    public void setUp() {
        BertModel.packTraining(path.equals("packed")); // a fork per trial: set for this JVM
        PretrainedModels.Pretrained p = BenchModels.load(model);
        bert = BenchModels.classifier(p);
        batch = BenchModels.sentences(p, BenchModels.BATCH, seq);
        labels = new int[BenchModels.BATCH];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 2;
        }
        adam = new AdamW(AdamW.Hyper.defaults(), n -> !ParamNames.isBiasOrNorm(n));
    }

    @Benchmark
    public double step() {
        Gradients g = bert.gradients(batch, labels);
        double norm = adam.step(bert.parameters(), g, 1e-5);
        bert.recycle(g); // as Trainer does: the next step's gradients go into these arrays
        return norm;
    }
}
