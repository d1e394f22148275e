package org.layerfuse.prune.graft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.train.AdamW;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Trainer;
import org.layerfuse.prune.loop.Healer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * FuseGPT's learnable low-rank grafting as a healing mode ({@code graft}): when block p is
 * removed, every matrix of the G live blocks nearest to p ({@link GraftWindow}) becomes
 * Wᵢ + (A·Bᵀ) ⊙ W_p with the matching matrix of p ({@link LowRankGraft}); A and B (and, as an
 * option, the window's own parameters at a much smaller rate) are trained with Adam by local
 * distillation: the window of the model before the removal (the teacher) and the fused
 * window see the same input, and the loss ({@link GraftLoss}) compares their outputs over the
 * real tokens of the calibration examples. Then the coefficients are folded into the weights
 * and dropped, so the healed model has plain BERT layers and no extra parameter.
 *
 * <p>Repeatable: B's initialisation and the example order of each epoch are seeded by (seed,
 * step, epoch).
 */
public final class GraftHealer implements Healer {

    private final EncodedExamples calibration;
    private final GraftOptions options;

    public GraftHealer(EncodedExamples calibration, GraftOptions options) {
        if (calibration.size() == 0) {
            throw new IllegalArgumentException("grafting needs calibration examples, got none");
        }
        this.calibration = calibration;
        this.options = options;
    }

    @Override
    public String name() {
        return "graft";
    }

    @Override
    public String heal(BertModel model, int removedLayer, int step) {
        long t0 = System.nanoTime();
        GraftWindow window = GraftWindow.around(model.liveMask(), removedLayer, options.windowSize());
        if (window.isEmpty()) {
            return "no live block left to graft into";
        }
        WindowData data = WindowData.teacher(model, window, calibration);
        List<LowRankGraft> grafts = initialGrafts(model, window, options.rank(), options.seed() + step);
        WindowGraph graph = new WindowGraph(model, window, grafts, options.loss(), options.temperature(),
                options.trainWeights());
        double before = meanLoss(graph, data);
        long steps = train(graph, data, step);
        double after = meanLoss(graph, data);
        graph.weights().forEach((name, trained) -> model.parameter(name).assign(trained));
        grafts.forEach(g -> g.foldInto(model));
        return String.format(Locale.ROOT, "grafted %d into %s (r=%d, %d examples x %d epochs = %d steps), %s %.3g -> "
                + "%.3g, %.1f s", removedLayer, Arrays.toString(window.layers()), grafts.get(0).rank(), data.size(),
                options.epochs(), steps, options.loss(), before, after, (System.nanoTime() - t0) / 1e9);
    }

    /** A = 0 and B ~ U(−√(1/r), √(1/r)) for the six matrices of every window block, in a fixed order. */
    static List<LowRankGraft> initialGrafts(BertModel model, GraftWindow window, int rank, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<LowRankGraft> out = new ArrayList<>();
        for (int l : window.ascending()) {
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                out.add(LowRankGraft.initial(model, m, l, window.removed(), rank, random));
            }
        }
        return out;
    }

    private long train(WindowGraph graph, WindowData data, int step) {
        AdamW.Hyper hyper = new AdamW.Hyper(0.9, 0.999, 1e-8, 0.0, 0.0);
        AdamW coefficients = new AdamW(hyper, name -> false);
        AdamW weights = new AdamW(hyper, name -> false);
        long steps = 0;
        for (int epoch = 0; epoch < options.epochs(); epoch++) {
            int[] order = Trainer.shuffledOrder(data.size(), options.seed() + step, epoch);
            for (int from = 0; from < order.length; from += options.batchSize()) {
                int[] rows = Arrays.copyOfRange(order, from, Math.min(order.length, from + options.batchSize()));
                WindowGraph.Step s = graph.gradients(data.batch(rows));
                if (!Double.isFinite(s.loss())) {
                    throw new IllegalStateException("grafting diverged: loss " + s.loss() + " at epoch " + epoch
                            + "; lower --graft-lr");
                }
                coefficients.step(graph.coefficients(), s.coefficientGradients(), options.lr());
                if (options.trainWeights()) {
                    weights.step(graph.weights(), s.weightGradients(), options.weightLr());
                }
                graph.recycle(s);
                steps++;
            }
        }
        graph.releaseGradientMemory();
        coefficients.free();
        weights.free();
        return steps;
    }

    /** The loss over every calibration example, batch losses weighted by their real tokens. */
    static double meanLoss(WindowGraph graph, WindowData data) {
        double sum = 0;
        long tokens = 0;
        int[] all = data.all();
        for (int from = 0; from < all.length; from += 32) {
            int[] rows = Arrays.copyOfRange(all, from, Math.min(all.length, from + 32));
            Map<String, INDArray> batch = data.batch(rows);
            long real = batch.get(WindowGraph.MASK).sumNumber().longValue();
            sum += graph.loss(batch) * real;
            tokens += real;
        }
        return sum / tokens;
    }
}
