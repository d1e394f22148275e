package org.layerfuse.bench.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.StageCosts;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;

/**
 * What each stage of the fused forward costs in place ({@link StageCosts}): the forward with
 * nothing left out, with each stage left out in turn, and with every stage left out (the weight
 * products alone, inside the forward), the candidates interleaved round by round in a fresh
 * random order; prints medians and each stage's cost as the whole forward's median less the
 * median without it. With {@code packed} the model's weights are packed first (as the deploy API
 * runs it; the FFN's activation is then inside its product).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.ForwardStageCosts \
 *     minilm 32 40 [packed: true|false] [batch: 32]
 * </pre>
 */
public final class ForwardStageCosts {

    private ForwardStageCosts() {
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "minilm";
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        boolean packed = args.length > 3 && Boolean.parseBoolean(args[3]);
        int examples = args.length > 4 ? Integer.parseInt(args[4]) : BenchModels.BATCH;
        if (examples < 1 || seq < 1 || rounds < 1) {
            throw new IllegalArgumentException("ForwardStageCosts: batch, tokens and rounds must be positive, got batch "
                    + examples + ", tokens " + seq + ", rounds " + rounds);
        }
        PretrainedModels.Pretrained p = BenchModels.load(name);
        BertModel model = BenchModels.classifier(p);
        if (packed) {
            model.packWeights();
        }
        TokenBatch batch = BenchModels.sentences(p, examples, seq);
        StageCosts costs = new StageCosts(model, batch);
        List<String> names = new ArrayList<>();
        List<Set<StageCosts.Stage>> leftOut = new ArrayList<>();
        names.add("whole forward");
        leftOut.add(EnumSet.noneOf(StageCosts.Stage.class));
        for (StageCosts.Stage s : StageCosts.Stage.values()) {
            names.add("without " + s.name().toLowerCase(Locale.ROOT));
            leftOut.add(EnumSet.of(s));
        }
        names.add("products alone (every stage left out)");
        leftOut.add(EnumSet.allOf(StageCosts.Stage.class));
        double[][] ms = new double[leftOut.size()][rounds];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < leftOut.size(); i++) {
            order.add(i);
        }
        java.util.Random shuffle = new java.util.Random(42);
        for (int r = -5; r < rounds; r++) {
            Collections.shuffle(order, shuffle);
            for (int i : order) {
                double t = costs.millis(leftOut.get(i));
                if (r >= 0) {
                    ms[i][r] = t;
                }
            }
        }
        double whole = median(ms[0]);
        System.out.printf(Locale.ROOT, "%s, batch %d x %d, %d rounds%s, medians (quartiles); cost = whole − without:%n",
                name, examples, seq, rounds, packed ? ", weights packed" : "");
        for (int i = 0; i < leftOut.size(); i++) {
            double m = median(ms[i]);
            String cost = i == 0 ? "" : i == leftOut.size() - 1
                    ? String.format(Locale.ROOT, "  everything but the products: %.2f ms", whole - m)
                    : String.format(Locale.ROOT, "  cost %.2f ms", whole - m);
            System.out.printf(Locale.ROOT, "  %-40s %8.2f ms  (%.2f–%.2f)%s%n", names.get(i), m, quantile(ms[i], 0.25),
                    quantile(ms[i], 0.75), cost);
        }
    }

    private static double median(double[] x) {
        return quantile(x, 0.5);
    }

    private static double quantile(double[] x, double q) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.floor(q * s.length))];
    }
}
