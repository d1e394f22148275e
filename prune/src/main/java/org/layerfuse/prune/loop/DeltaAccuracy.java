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
 */
public final class DeltaAccuracy {

    /** The measured rows and the accuracy of the model as it is. */
    public record Measurement(double currentAccuracy, List<FusionRow> rows) {
    }

    private DeltaAccuracy() {
    }

    public static Measurement measure(BertModel model, EncodedExamples validation, int batchSize, LayerSignals signals,
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
