package org.layerfuse.prune.loop;

import java.util.ArrayList;
import java.util.List;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.strategy.FusionRow;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures ΔA_l = A_current − A_l for every live layer: replace layer l alone with an
 * identity, evaluate on the validation split (never the test split), put the layer back.
 *
 * <p>The model without layer l computes exactly what the whole model computes up to l's
 * input, so the whole model's forward keeps its hidden states and each variant resumes from
 * the state before l ({@link BertModel#forwardAfter}): the same numbers, about half the layer
 * passes ({@code n + n(n−1)/2} instead of {@code n(n+1)} for n live layers). With
 * {@code -Dlayerfuse.forward=graph} every variant is evaluated in full, as before.
 */
public final class DeltaAccuracy {

    /** The measured rows and the accuracy of the model as it is. */
    public record Measurement(double currentAccuracy, List<FusionRow> rows) {
    }

    private DeltaAccuracy() {
    }

    public static Measurement measure(BertModel model, EncodedExamples validation, int batchSize, LayerSignals signals,
                                      int step) {
        if ("graph".equals(System.getProperty(BertModel.FORWARD_PROPERTY, "fused"))) {
            return measureInFull(model, validation, batchSize, signals, step);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
        int numLabels = model.config().numLabels();
        List<EncodedExamples> batches = new ArrayList<>();
        List<Forward> full = new ArrayList<>();
        for (int from = 0; from < validation.size(); from += batchSize) {
            EncodedExamples b = validation.range(from, Math.min(validation.size(), from + batchSize));
            batches.add(b);
            full.add(model.forward(b.tokens(), true, false));
        }
        double current = accuracy(full.stream().map(Forward::logits).toList(), validation, numLabels);
        List<FusionRow> rows = new ArrayList<>();
        int previous = -1;
        for (int l : model.liveLayers()) {
            model.removeLayer(l);
            try {
                List<INDArray> logits = new ArrayList<>();
                for (int b = 0; b < batches.size(); b++) {
                    Forward f = full.get(b);
                    INDArray start = previous < 0 ? f.embeddings() : f.hiddenStates().get(previous);
                    logits.add(model.forwardAfter(batches.get(b).tokens(), l, start).logits());
                }
                rows.add(new FusionRow(step, l, signals.row(l), current - accuracy(logits, validation, numLabels)));
            } finally {
                model.restoreLayer(l);
            }
            previous = l;
        }
        for (Forward f : full) {
            close(f.embeddings());
            f.hiddenStates().values().forEach(DeltaAccuracy::close);
            close(f.sequenceOutput());
        }
        return new Measurement(current, rows);
    }

    /** Each variant evaluated from the embeddings on (the graph forward has no resumed form). */
    static Measurement measureInFull(BertModel model, EncodedExamples validation, int batchSize, LayerSignals signals,
                                     int step) {
        double current = Evaluator.evaluate(model, validation, batchSize).accuracy();
        List<FusionRow> rows = new ArrayList<>();
        for (int l : model.liveLayers()) {
            model.removeLayer(l);
            try {
                double without = Evaluator.evaluate(model, validation, batchSize).accuracy();
                rows.add(new FusionRow(step, l, signals.row(l), current - without));
            } finally {
                model.restoreLayer(l);
            }
        }
        return new Measurement(current, rows);
    }

    private static double accuracy(List<INDArray> logits, EncodedExamples data, int numLabels) {
        INDArray z = logits.size() == 1 ? logits.get(0) : Nd4j.concat(0, logits.toArray(INDArray[]::new));
        if (z == null) {
            throw new IllegalStateException("the model has no classification head");
        }
        return Evaluation.of(z.toFloatMatrix(), data.labels(), numLabels).accuracy();
    }

    private static void close(INDArray a) {
        if (a != null && a.closeable()) {
            a.close();
        }
    }
}
