package org.layerfuse.bert.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Soft targets for knowledge distillation: the frozen teacher's logits for every training
 * example (rows aligned with the {@link EncodedExamples}), and the loss mix
 * L = α·CE + (1 − α)·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)).
 */
public record KdTargets(INDArray teacherLogits, double alpha, double temperature) {

    /** The paper's setting: T = 2, α = 0.5. */
    public static final double DEFAULT_ALPHA = 0.5;
    public static final double DEFAULT_TEMPERATURE = 2.0;

    public KdTargets {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("--kd-alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("--kd-temperature must be > 0, got " + temperature);
        }
    }
}
