package org.layerfuse.prune.study;

/**
 * The unpruned model fine-tuned on a dataset: the reference row of every table and the
 * teacher of distillation. Stored as {@code <out>/<dataset>/baseline/baseline.json}.
 */
public record Baseline(String dataset, String model, double accuracy, double macroF1, double testLoss, long parameters,
                       double sizeMb, int numLayers, double majorityRate, String fingerprint) {
}
