package org.layerfuse.bert.train;

import java.nio.file.Path;
import org.layerfuse.bert.BertModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Knowledge distillation: the frozen teacher labels the training examples once with its
 * logits, then the student is trained on L = α·CE(y, z_s) + (1 − α)·T²·KL(softmax(z_t/T) ‖
 * softmax(z_s/T)), T = 2 and α = 0.5 by default (the T² keeps the soft-target gradients on
 * the same scale as the hard ones, as in Hinton et al.).
 */
public final class Distiller {

    private Distiller() {
    }

    public static Trainer.Result distill(BertModel student, BertModel teacher, EncodedExamples data,
                                         TrainerOptions options) {
        return distill(student, teacher, data, options, KdTargets.DEFAULT_ALPHA, KdTargets.DEFAULT_TEMPERATURE, null);
    }

    public static Trainer.Result distill(BertModel student, BertModel teacher, EncodedExamples data,
                                         TrainerOptions options, double alpha, double temperature, Path checkpoint) {
        if (student.config().numLabels() != teacher.config().numLabels()) {
            throw new IllegalArgumentException("teacher has " + teacher.config().numLabels() + " labels, student "
                    + student.config().numLabels());
        }
        return distill(student, teacherLogits(teacher, data, options), data, options, alpha, temperature, checkpoint);
    }

    /**
     * As above with the teacher's logits on {@code data} already computed ({@link #teacherLogits}):
     * a frozen teacher labels the same examples the same way every time, so a caller that heals
     * many students from one teacher labels them once.
     */
    public static Trainer.Result distill(BertModel student, INDArray teacherLogits,
                                         EncodedExamples data, TrainerOptions options, double alpha, double temperature,
                                         Path checkpoint) {
        if (student.config().numLabels() != teacherLogits.columns()) {
            throw new IllegalArgumentException("teacher logits have " + teacherLogits.columns() + " labels, student "
                    + student.config().numLabels());
        }
        return Trainer.train(student, data, options, new KdTargets(teacherLogits, alpha, temperature), checkpoint);
    }

    /** The teacher's logits on {@code data}, one row per example, in {@code options}' batch size. */
    public static INDArray teacherLogits(BertModel teacher, EncodedExamples data,
                                                                    TrainerOptions options) {
        return Evaluator.logits(teacher, data, options.batchSize());
    }
}
