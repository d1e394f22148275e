package org.layerfuse.prune.report;

/**
 * A value per number of layers removed (index k = step), summarised over the repeats that
 * reached step k: mean, min, max, sample std and how many repeats.
 */
record StepSeries(double[] mean, double[] min, double[] max, double[] std, int[] count) {

    int steps() {
        return mean.length;
    }
}
