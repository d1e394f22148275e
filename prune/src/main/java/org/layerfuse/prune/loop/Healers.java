package org.layerfuse.prune.loop;

import java.util.Locale;
import java.util.function.Supplier;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.Distiller;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Trainer;
import org.layerfuse.bert.train.TrainerOptions;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The healing modes of the paper: none, fine-tuning with cross-entropy, and knowledge distillation. */
public final class Healers {

    private Healers() {
    }

    /** No healing: evaluate the model right after removal. */
    public static Healer none() {
        return new Healer() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public String heal(BertModel model, int removedLayer, int step) {
                return "no healing";
            }
        };
    }

    /** Fine-tuning on the training subset with cross-entropy; the seed of step t is seed + t. */
    public static Healer fineTune(EncodedExamples train, TrainerOptions options) {
        return new Healer() {
            @Override
            public String name() {
                return "ce";
            }

            @Override
            public String heal(BertModel model, int removedLayer, int step) {
                Trainer.Result r = Trainer.train(model, train, options.withSeed(options.seed() + step));
                return String.format(Locale.ROOT, "fine-tuned %d steps, last loss %.4f", r.stepsDone(), r.lastLoss());
            }
        };
    }

    /**
     * Distillation from the unpruned fine-tuned teacher: L = α·CE + (1 − α)·T²·KL, with the
     * same training protocol as {@link #fineTune}. The teacher labels {@code train} once, at the
     * first heal.
     */
    public static Healer distill(BertModel teacher, EncodedExamples train, TrainerOptions options, double alpha,
                                 double temperature) {
        return distill(memoize(() -> Distiller.teacherLogits(teacher, train, options)), train, options, alpha,
                temperature);
    }

    /**
     * As {@link #distill(BertModel, EncodedExamples, TrainerOptions, double, double)} with the
     * teacher's logits on {@code train} given (shared by every healer of one teacher: a study
     * labels its heal split once per dataset, not once per heal).
     */
    public static Healer distill(Supplier<INDArray> teacherLogits, EncodedExamples train, TrainerOptions options,
                                 double alpha, double temperature) {
        return new Healer() {
            @Override
            public String name() {
                return "kd";
            }

            @Override
            public String heal(BertModel model, int removedLayer, int step) {
                Trainer.Result r = Distiller.distill(model, teacherLogits.get(), train,
                        options.withSeed(options.seed() + step), alpha, temperature, null);
                return String.format(Locale.ROOT, "distilled %d steps, last loss %.4f", r.stepsDone(), r.lastLoss());
            }
        };
    }

    /** A supplier computing {@code source} once, on first use (thread-safe). */
    private static <T> Supplier<T> memoize(Supplier<T> source) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = source.get();
                }
                return value;
            }
        };
    }
}
