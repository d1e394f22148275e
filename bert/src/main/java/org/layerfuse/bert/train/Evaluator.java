package org.layerfuse.bert.train;

import org.layerfuse.bert.BertModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Batched forward passes without gradients: logits and metrics over a whole example set. */
public final class Evaluator {

    private Evaluator() {
    }

    /** Logits {@code [n, C]} of the model on every example, in order. */
    public static INDArray logits(BertModel model, EncodedExamples data, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
        INDArray[] parts = new INDArray[(data.size() + batchSize - 1) / batchSize];
        for (int from = 0, p = 0; from < data.size(); from += batchSize, p++) {
            int to = Math.min(data.size(), from + batchSize);
            INDArray z = model.logits(data.range(from, to).tokens()).logits(); // the last layer for [CLS] rows alone
            if (z == null) {
                throw new IllegalStateException("the model has no classification head");
            }
            parts[p] = z;
        }
        return parts.length == 1 ? parts[0] : Nd4j.concat(0, parts);
    }

    public static Evaluation evaluate(BertModel model, EncodedExamples data, int batchSize) {
        INDArray z = logits(model, data, batchSize);
        return Evaluation.of(z.toFloatMatrix(), data.labels(), model.config().numLabels());
    }
}
