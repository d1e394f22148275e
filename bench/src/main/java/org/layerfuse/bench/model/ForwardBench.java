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
 * One forward pass ({@code batch} × {@code seq} tokens, 32 × 32 by default) of our BERT on real
 * weights: the fused inference path ({@code path=fused}, what {@code BertModel.forward} runs) and
 * the SameDiff graph it replaced ({@code path=graph}), and the fused path's logits alone on the
 * real tokens alone ({@code path=packed}, {@code BertModel.forwardPacked}: what evaluation,
 * {@code TextClassifier} and {@code predict} run; the sample sentences hold 628 real tokens of
 * 1024 at 32 × 32 and 679 of 4096 at 32 × 128). {@code fused} is the like-for-like row against
 * ONNX Runtime, which computes the padding. Small batches ({@code -p batch=1}) time the latency
 * of one request, where the products read every weight for a few rows. {@code fused-prepacked}
 * and {@code packed-prepacked} are the same two forwards with the weight matrices packed once for
 * oneDNN's 1×1-convolution kernels ({@code BertModel.packWeights}, in the trial's setup: what the deploy API's fused
 * engine runs, and what ONNX Runtime does when it makes its session).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g",
        "-Dorg.bytedeco.javacpp.maxbytes=8g"})
@Warmup(iterations = 5, time = 4)
@Measurement(iterations = 5, time = 2)
public class ForwardBench {

    @Param({"minilm", "bert-base"})
    String model;

    @Param({"fused", "packed", "graph", "fused-prepacked", "packed-prepacked"})
    String path;

    @Param({"32"})
    int seq;

    @Param({"32"})
    int batch;

    private BertModel bert;
    private TokenBatch sentences;

    @Setup(Level.Trial)
    public void setUp() {
        PretrainedModels.Pretrained p = BenchModels.load(model);
        bert = BenchModels.classifier(p);
        sentences = BenchModels.sentences(p, batch, seq);
        if (path.endsWith("-prepacked")) {
            bert.packWeights();
        }
    }

    @Benchmark
    public Forward forward() {
        return switch (path) {
            case "graph" -> bert.forwardGraph(sentences, false, false);
            case "packed", "packed-prepacked" -> bert.forwardPacked(sentences);
            default -> bert.forward(sentences);
        };
    }
}
