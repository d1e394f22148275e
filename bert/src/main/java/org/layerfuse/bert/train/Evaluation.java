package org.layerfuse.bert.train;

/**
 * Classification quality on a set of examples.
 *
 * @param accuracy  fraction of correct arg-max predictions
 * @param macroF1   unweighted mean over classes of F1 = 2TP / (2TP + FP + FN); a class that
 *                  neither occurs nor is predicted is left out of the mean
 * @param loss      mean cross-entropy −log softmax(z)_y
 * @param confusion {@code confusion[true][predicted]} counts
 */
public record Evaluation(double accuracy, double macroF1, double loss, int[][] confusion, int size) {

    /** Computes the metrics from logits {@code [n][C]} and labels. */
    public static Evaluation of(float[][] logits, int[] labels, int numLabels) {
        int n = labels.length;
        if (logits.length != n) {
            throw new IllegalArgumentException(logits.length + " logit rows for " + n + " labels");
        }
        int[][] confusion = new int[numLabels][numLabels];
        double lossSum = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            float[] z = logits[i];
            int best = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < z.length; c++) {
                if (z[c] > max) {
                    max = z[c];
                    best = c;
                }
            }
            double sumExp = 0;
            for (float v : z) {
                sumExp += Math.exp(v - max);
            }
            lossSum += -(z[labels[i]] - max - Math.log(sumExp));
            confusion[labels[i]][best]++;
            if (best == labels[i]) {
                correct++;
            }
        }
        double f1Sum = 0;
        int classes = 0;
        for (int c = 0; c < numLabels; c++) {
            int tp = confusion[c][c];
            int fn = 0;
            int fp = 0;
            for (int k = 0; k < numLabels; k++) {
                if (k != c) {
                    fn += confusion[c][k];
                    fp += confusion[k][c];
                }
            }
            if (2 * tp + fp + fn > 0) {
                f1Sum += 2.0 * tp / (2 * tp + fp + fn);
                classes++;
            }
        }
        return new Evaluation(n == 0 ? Double.NaN : (double) correct / n, classes == 0 ? Double.NaN : f1Sum / classes,
                n == 0 ? Double.NaN : lossSum / n, confusion, n);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "accuracy %.4f, macro-F1 %.4f, loss %.4f (n=%d)", accuracy, macroF1,
                loss, size);
    }
}
