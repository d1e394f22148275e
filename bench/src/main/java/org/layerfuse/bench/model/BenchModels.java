package org.layerfuse.bench.model;

import java.util.ArrayList;
import java.util.List;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.SampleSentences;
import org.layerfuse.bert.tokenizer.Padding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.Backend;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The inputs every model benchmark shares: a real pretrained model with a 2-class head and
 * a batch of real sentences (the sample sentences, repeated) padded or truncated to the
 * sequence length; and the FLOP count of a forward pass.
 */
final class BenchModels {

    static final int BATCH = 32;
    static final int SEQ = 32;

    private BenchModels() {
    }

    /** ND4J as every model benchmark runs it: {@code -Dlayerfuse.threads} (default 2), seed 42, {@code -Dlayerfuse.nd4j.variant}. */
    static void startBackend() {
        Backend.init(new Backend.Settings(Integer.getInteger("layerfuse.threads", 2), 42,
                Backend.Settings.variantFromSystemProperty()));
    }

    static PretrainedModels.Pretrained load(String name) {
        startBackend();
        return PretrainedModels.load(name);
    }

    static BertModel classifier(PretrainedModels.Pretrained p) {
        return BertModel.forClassification(p.weights(), List.of("ham", "spam"), 42, DataType.FLOAT);
    }

    /** {@code batch} real sentences (the sample sentences, cycled) at exactly {@code seq} tokens. */
    static TokenBatch sentences(PretrainedModels.Pretrained p, int batch, int seq) {
        List<String> sample = SampleSentences.load();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            texts.add(sample.get(i % sample.size()));
        }
        return p.tokenizer().batch(texts, seq, Padding.MAX_LENGTH);
    }

    /** The median of {@code values[i]} where {@code flags[i] == want}, NaN where there are none. */
    static double medianWhere(double[] values, boolean[] flags, boolean want) {
        double[] picked = java.util.stream.IntStream.range(0, values.length).filter(i -> flags[i] == want)
                .mapToDouble(i -> values[i]).sorted().toArray();
        return picked.length == 0 ? Double.NaN : picked[picked.length / 2];
    }

    /**
     * Multiply-adds ×2 of one encoder forward pass over B·S tokens: per layer the four H×H
     * projections and the two H×I FFN matrices (2·N·(4H² + 2HI)) plus the attention products
     * QKᵀ and PV (2·2·B·S²·H); pooler and head ignored (&lt; 0.1%).
     */
    static double forwardFlops(BertConfig c, int layers, int batch, int seq) {
        double n = (double) batch * seq;
        double h = c.hiddenSize();
        double perLayer = 2 * n * (4 * h * h + 2 * h * c.intermediateSize()) + 4.0 * batch * seq * seq * h;
        return layers * perLayer;
    }

    /**
     * The arguments of a step tool ({@link TrainStepRatio}, {@link OpProfile}): {@code [minilm|bert-base]
     * [warm-up ≥ 0] [timed ≥ minTimed] [padded|packed] [tokens ≥ 1]}, defaults minilm, the given
     * counts, padded, {@link #SEQ}.
     */
    record StepArgs(String model, int warm, int timed, boolean packed, int seq) {

        static StepArgs parse(String tool, String unit, String[] args, int warm, int timed, int minTimed) {
            String name = args.length > 0 ? args[0] : "minilm";
            int w = args.length > 1 ? Integer.parseInt(args[1]) : warm;
            int t = args.length > 2 ? Integer.parseInt(args[2]) : timed;
            String path = args.length > 3 ? args[3] : "padded";
            int seq = args.length > 4 ? Integer.parseInt(args[4]) : SEQ;
            if (w < 0 || t < minTimed || !(path.equals("padded") || path.equals("packed")) || seq < 1) {
                throw new IllegalArgumentException("usage: " + tool + " [minilm|bert-base] [warm-up " + unit + " ≥ 0] [timed "
                        + unit + " ≥ " + minTimed + "] [padded|packed] [tokens ≥ 1]; got " + String.join(" ", args));
            }
            return new StepArgs(name, w, t, path.equals("packed"), seq);
        }
    }

    /** Labels 0, 1, 0, 1, … for a batch. */
    static int[] alternatingLabels(int n) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
        }
        return labels;
    }
}
