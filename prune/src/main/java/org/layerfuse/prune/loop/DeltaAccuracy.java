package org.layerfuse.prune.loop;

import java.util.ArrayList;
import java.util.List;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.strategy.FusionRow;

/**
 * Measures ΔA_l = A_current − A_l for every live layer: replace layer l alone with an
 * identity, evaluate on the validation split (never the test split), put the layer back.
 *
 * <p>The model without layer l computes exactly what the whole model computes up to l's
 * input, so the whole model's forward keeps its hidden states and each variant resumes from
 * the state before l ({@link TestStates}, {@link BertModel#forwardPackedAfter}): the same numbers,
 * about half the layer passes ({@code n + n(n−1)/2} instead of {@code n(n+1)} for n live
 * layers). With {@code -Dlayerfuse.forward=graph}, or states over {@link TestStates#MAX_BYTES},
 * every variant is evaluated in full, as before.
 */
public final class DeltaAccuracy {

    /** The measured rows and the accuracy of the model as it is. */
    public record Measurement(double currentAccuracy, List<FusionRow> rows) {
    }

    private DeltaAccuracy() {
    }

    public static Measurement measure(BertModel model, EncodedExamples validation, int batchSize, LayerSignals signals,
                                      int step) {
        if (!BertModel.forwardIsFused()) {
            return measureInFull(model, validation, batchSize, signals, step);
        }
        TestStates.Evaluated full = TestStates.evaluate(model, validation, batchSize);
        if (full.states() == null) { // more states than TestStates keeps: evaluate each variant in full
            return measureInFull(model, validation, batchSize, signals, step);
        }
        double current = full.evaluation().accuracy();
        List<FusionRow> rows = new ArrayList<>();
        try (TestStates states = full.states()) {
            for (int l : model.liveLayers()) {
                model.removeLayer(l);
                try {
                    double without = states.resumeWithout(model, validation, batchSize, l).accuracy();
                    rows.add(new FusionRow(step, l, signals.row(l), current - without));
                } finally {
                    model.restoreLayer(l);
                }
            }
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
}
