package org.layerfuse.prune.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.Trainer;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.signals.Signal;
import org.layerfuse.prune.signals.SignalComputer;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code layerfuse signals}: the layer × signal table of a fine-tuned model. */
@Command(name = "signals", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune a model on a dataset's training split and print and save the twelve signals of every "
                + "encoder layer (the table the strategies rank layers by).")
public final class SignalsCommand implements Callable<Integer>, ValidatedOptions {

    @Mixin
    ModelOption model;

    @Mixin
    DataOptions data;

    @Mixin
    TrainingOptions training;

    @Mixin
    SignalOptions signals;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--out", defaultValue = "results/signals.csv", description = "CSV file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--no-fine-tune", description = "Compute the signals of the model as loaded (random head).")
    boolean noFineTune;

    @Override
    public void validate() {
        data.validate();
        training.validate();
        signals.validate();
        runtime.validate();
    }

    @Override
    public Integer call() {
        validate();
        runtime.start();
        PretrainedModels.Pretrained pretrained = model.load(data.maxLength);
        EncodedSplits splits = data.splits(data.data.get(0), pretrained.tokenizer(), runtime.seed);
        BertModel m = BertModel.forClassification(pretrained.weights(), splits.labels(), runtime.seed, DataType.FLOAT);
        if (!noFineTune) {
            Trainer.train(m, splits.train(), training.baseline(runtime.seed));
        }
        LayerSignals table = new SignalComputer(splits.signal(), signals.options()).compute(m);
        table.writeCsv(out);
        System.out.printf(Locale.ROOT, "%-22s", "layer");
        for (int l : table.liveLayers()) {
            System.out.printf(Locale.ROOT, " %11d", l);
        }
        System.out.println();
        for (Signal s : Signal.values()) {
            System.out.printf(Locale.ROOT, "%-22s", s.displayName());
            for (int l : table.liveLayers()) {
                System.out.printf(Locale.ROOT, " %11.4g", table.get(l, s));
            }
            System.out.println(table.uninformative().contains(s) ? "  (constant: uninformative)" : "");
        }
        System.out.println("written to " + out);
        return 0;
    }
}
