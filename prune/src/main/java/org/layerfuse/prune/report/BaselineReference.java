package org.layerfuse.prune.report;

/**
 * The unpruned fine-tuned model a dataset's numbers are compared with: its test accuracy and
 * size, from {@code baseline.json} or, when that file is missing, from step 0 of a run (the
 * same model evaluated on the same test split at the start of every run).
 *
 * @param source {@code baseline.json} or {@code step 0 of <cell>}
 */
public record BaselineReference(String dataset, double accuracy, long parameters, String source) {

    /** float32 size in GB: parameters × 4 / 10⁹. */
    public double sizeGb() {
        return ReportMath.sizeGb(parameters);
    }

    /** Accuracy per GB. */
    public double ratio() {
        return accuracy / sizeGb();
    }
}
