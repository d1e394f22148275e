package org.layerfuse.prune.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Evaluates a classifier on a dataset's test split. A model without a head for the dataset's
 * labels is first fine-tuned on the training split (unless {@code --no-fine-tune}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a model on a dataset's test split (accuracy, macro-F1, loss). A model whose "
                + "classification head does not match the dataset's labels is fine-tuned on the training split first.")
public final class EvalCommand implements Callable<Integer>, ValidatedOptions {

    @Mixin
    ModelOption model;

    @Mixin
    DataOptions data;

    @Mixin
    TrainingOptions training;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--no-fine-tune", description = "Evaluate as loaded; fails if the model has no matching head.")
    boolean noFineTune;

    @Override
    public void validate() {
        data.validate();
        training.validate();
        runtime.validate();
    }

    @Override
    public Integer call() {
        validate();
        runtime.start();
        PretrainedModels.Pretrained pretrained = model.load(data.maxLength);
        for (String dataset : data.data) {
            EncodedSplits splits = data.splits(dataset, pretrained.tokenizer(), runtime.seed);
            boolean headMatches = pretrained.weights().config().labels().equals(splits.labels());
            if (!headMatches && noFineTune) {
                throw new IllegalArgumentException("--no-fine-tune: the model's labels "
                        + pretrained.weights().config().labels() + " do not match the dataset's " + splits.labels());
            }
            BertModel m = BertModel.forClassification(pretrained.weights(), splits.labels(), runtime.seed,
                    DataType.FLOAT);
            if (!headMatches) {
                org.layerfuse.bert.train.Trainer.train(m, splits.train(), training.baseline(runtime.seed));
            }
            Evaluation e;
            try (org.layerfuse.bert.PackedWeights packs = m.packWeights()) { // weights fixed from here: packed once
                e = Evaluator.evaluate(m, splits.test(), 64);
            }
            System.out.printf(Locale.ROOT, "%s on %s: %s%n", pretrained.name(), splits.dataset(), e);
        }
        return 0;
    }
}
