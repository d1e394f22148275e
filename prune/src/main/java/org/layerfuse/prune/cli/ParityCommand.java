package org.layerfuse.prune.cli;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.SampleSentences;
import org.layerfuse.bert.tokenizer.Padding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.Backend;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Checks that our SameDiff BERT is BERT: the real all-MiniLM-L6-v2 weights, real sentences,
 * and the last hidden state compared with ONNX Runtime running the same ONNX file.
 */
@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Run the real all-MiniLM-L6-v2 in LayerFuse's SameDiff BERT and in ONNX Runtime on sample "
                + "sentences and print how closely the embeddings agree.")
public final class ParityCommand implements Callable<Integer>, ValidatedOptions {

    @Option(names = "--threads", description = "Threads for ND4J and ONNX Runtime, >= 0; 0 (the default) uses one "
            + "per logical core.")
    int threads;

    @Option(names = "--max-length", defaultValue = "64", description = "Truncate sentences to this many tokens "
            + "(default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--tolerance", defaultValue = "1e-5", description = "Largest acceptable |difference| "
            + "(default: ${DEFAULT-VALUE}); the exit code is 1 above it.")
    double tolerance;

    @Override
    public void validate() {
        OptionRange.atLeast("--threads", threads, 0, " (0: one per logical core)");
        OptionRange.atLeast("--max-length", maxLength, 3);
        OptionRange.positive("--tolerance", tolerance);
    }

    @Override
    public Integer call() {
        validate();
        Backend.Info info = Backend.init(new Backend.Settings(threads, 42, Backend.Settings.variantFromSystemProperty()));
        PretrainedModels.Pretrained minilm = PretrainedModels.load("minilm");
        DataOptions.checkMaxLength(maxLength, minilm.weights().config(), minilm.name());
        List<String> sentences = SampleSentences.load();
        TokenBatch batch = minilm.tokenizer().batch(sentences, maxLength, Padding.LONGEST);
        BertModel model = BertModel.fromWeights(minilm.weights());
        long t0 = System.nanoTime();
        INDArray ours = model.forward(batch).sequenceOutput();
        double oursMs = (System.nanoTime() - t0) / 1e6;
        float[][][] reference;
        double ortMs;
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(minilm.onnxFile(), info.threads())) {
            long t1 = System.nanoTime();
            reference = ort.lastHiddenState(batch);
            ortMs = (System.nanoTime() - t1) / 1e6;
        }
        System.out.printf(Locale.ROOT, "all-MiniLM-L6-v2: %d sentences, %d x %d tokens (%d real), backend %s%n",
                sentences.size(), batch.batchSize(), batch.seqLen(), batch.realTokens(), info);
        double worst = 0;
        for (int i = 0; i < sentences.size(); i++) {
            double maxDiff = 0;
            double dot = 0;
            double na = 0;
            double nb = 0;
            int hidden = reference[i][0].length;
            double[] meanOurs = new double[hidden];
            double[] meanRef = new double[hidden];
            int real = 0;
            for (int t = 0; t < batch.seqLen(); t++) {
                if (batch.attentionMask()[i][t] == 0) {
                    continue;
                }
                real++;
                for (int h = 0; h < hidden; h++) {
                    double a = ours.getDouble(i, t, h);
                    double b = reference[i][t][h];
                    maxDiff = Math.max(maxDiff, Math.abs(a - b));
                    meanOurs[h] += a;
                    meanRef[h] += b;
                }
            }
            for (int h = 0; h < hidden; h++) {
                dot += meanOurs[h] * meanRef[h];
                na += meanOurs[h] * meanOurs[h];
                nb += meanRef[h] * meanRef[h];
            }
            worst = Math.max(worst, maxDiff);
            String text = sentences.get(i);
            System.out.printf(Locale.ROOT, "  %2d tokens  max|diff| %.2e  cosine(mean embeddings) %.8f  %s%n", real,
                    maxDiff, dot / Math.sqrt(na * nb), text.length() > 60 ? text.substring(0, 57) + "..." : text);
        }
        boolean ok = worst <= tolerance;
        System.out.printf(Locale.ROOT, "max |ours - ONNX Runtime| over all real tokens: %.3e (tolerance %.1e): %s%n",
                worst, tolerance, ok ? "AGREE" : "DISAGREE");
        System.out.printf(Locale.ROOT, "one forward (cold, not a benchmark): SameDiff %.0f ms, ONNX Runtime %.0f ms%n",
                oursMs, ortMs);
        return ok ? 0 : 1;
    }
}
