package org.layerfuse.bench.model;

import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
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

/** Evaluation without gradients of the paper's 256-example test subset at 32 tokens. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g",
        "-Dorg.bytedeco.javacpp.maxbytes=8g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class EvaluationBench {

    @Param({"bert-base"})
    String model;

    @Param({"32", "64", "256"})
    int evalBatch;

    private BertModel bert;
    private EncodedExamples examples;

    @Setup(Level.Trial)
    public void setUp() {
        PretrainedModels.Pretrained p = BenchModels.load(model);
        bert = BenchModels.classifier(p);
        int[] labels = new int[256];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 2;
        }
        examples = new EncodedExamples(BenchModels.sentences(p, 256, BenchModels.SEQ), labels);
    }

    @Benchmark
    public Evaluation evaluate256() {
        return Evaluator.evaluate(bert, examples, evalBatch);
    }
}
