package org.layerfuse.bench.model;

import java.util.ArrayList;
import java.util.List;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.prune.signals.SignalComputer;
import org.layerfuse.weights.PretrainedModels;

/**
 * Where one signal computation of the main study goes (64 examples × 32 tokens, gradients at
 * batch 8): the whole computation against its forward pass and its eight gradient calls alone,
 * those with every gradient and with the layers' only (what the signals ask for).
 * Usage: {@code SignalProfile [model] [rounds]}.
 */
public final class SignalProfile {

    private SignalProfile() {
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "minilm";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        PretrainedModels.Pretrained p = BenchModels.load(name);
        BertModel model = BenchModels.classifier(p);
        TokenBatch tokens = BenchModels.sentences(p, 64, 32);
        int[] labels = new int[64];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 2;
        }
        EncodedExamples data = new EncodedExamples(tokens, labels);
        List<String> layerParams = new ArrayList<>();
        for (int l : model.liveLayers()) {
            ParamNames.layerParams(model.config(), l).forEach(e -> layerParams.add(e.name()));
        }
        SignalComputer computer = new SignalComputer(data, SignalComputer.Options.defaults());
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            computer.compute(model);
            long t1 = System.nanoTime();
            Forward f = model.forward(tokens, true, true);
            long t2 = System.nanoTime();
            for (int from = 0; from < 64; from += 8) {
                EncodedExamples b = data.range(from, from + 8);
                Gradients g = model.gradients(b.tokens(), b.labels());
                g.free();
            }
            long t3 = System.nanoTime();
            for (int from = 0; from < 64; from += 8) {
                EncodedExamples b = data.range(from, from + 8);
                model.gradients(b.tokens(), b.labels(), layerParams).free();
            }
            long t4 = System.nanoTime();
            System.out.printf("round %d: compute %.1f ms, forward %.1f ms, 8 gradient calls %.1f ms, layers only %.1f ms%n",
                    r, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6);
        }
    }
}
