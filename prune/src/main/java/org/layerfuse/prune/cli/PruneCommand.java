package org.layerfuse.prune.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.loop.OutputLock;
import org.layerfuse.prune.loop.RunDirectory;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.signals.SignalComputer;
import org.layerfuse.prune.strategy.Strategies;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudyRunner;
import org.layerfuse.prune.study.StudySpec;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.export.ExportFormat;
import org.layerfuse.weights.export.ModelExport;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code layerfuse prune}: one strategy, one model, one dataset; writes the compressed model
 * as a Hugging Face folder with fewer layers.
 */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a model on a dataset, remove layers one at a time with one strategy (healing after "
                + "each removal), and write the compressed model as a Hugging Face folder (config.json with the new "
                + "num_hidden_layers, renumbered weights in model.safetensors, the tokenizer) that `--model <folder>` "
                + "loads again, and/or as ONNX (--export onnx|both)."})
public final class PruneCommand implements Callable<Integer>, ValidatedOptions {

    @Mixin
    ModelOption model;

    @Mixin
    DataOptions data;

    @Option(names = "--strategy", defaultValue = "random-forest",
            description = "Pruning strategy (default: ${DEFAULT-VALUE}). Valid: ${COMPLETION-CANDIDATES}.",
            completionCandidates = StudyCommand.StrategyNames.class)
    String strategy;

    @Option(names = "--heal", defaultValue = "kd",
            description = "Healing after each removal: ce, kd, none, graft (learnable low-rank grafting into the "
                    + "neighbours) or graft-static (default: ${DEFAULT-VALUE}).")
    String heal;

    @Option(names = "--layers-to-remove", defaultValue = "1",
            description = "Layers to remove (default: ${DEFAULT-VALUE}).")
    int layersToRemove;

    @Mixin
    TrainingOptions training;

    @Mixin
    GraftCliOptions graft;

    @Mixin
    SignalOptions signals;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--out", defaultValue = "results/prune",
            description = "Results directory: run records and, in <out>/model, the compressed model (default: "
                    + "${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--export", defaultValue = "hf", paramLabel = "hf|onnx|both",
            description = "Format of the compressed model: hf (config.json + model.safetensors), onnx (model.onnx) or "
                    + "both; the tokenizer is copied beside it (default: ${DEFAULT-VALUE}).")
    String exportFormat;

    @Option(names = "--export-dir", description = "Where to write the compressed model (default: <out>/model).")
    Path export;

    @Option(names = "--resume", description = "Continue an interrupted run in --out.")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace an existing export folder.")
    boolean overwrite;

    /** Every option's range, before the model is loaded; what needs the model's depth is checked after. */
    @Override
    public void validate() {
        ExportFormat.parse(exportFormat);
        data.validate();
        training.validate();
        graft.validate(data.trainSize);
        signals.validate();
        runtime.validate();
        Strategies.byName(strategy);
        StudyRunner.checkHealingModes(List.of(heal));
        OptionRange.atLeast("--layers-to-remove", layersToRemove, 1);
    }

    @Override
    public Integer call() {
        validate();
        try (OutputLock lock = OutputLock.acquire(out, "layerfuse prune")) {
            return runLocked();
        }
    }

    private int runLocked() {
        runtime.start();
        StudyRunner.Settings settings = new StudyRunner.Settings(training.baseline(runtime.seed),
                training.healing(runtime.seed), training.kdAlpha, training.kdTemperature, 64, true,
                graft.options(runtime.seed));
        PretrainedModels.Pretrained pretrained = model.load(data.maxLength);
        int layers = pretrained.weights().config().numHiddenLayers();
        if (layersToRemove < 1 || layersToRemove >= layers) {
            throw new IllegalArgumentException("--layers-to-remove must be in [1, " + (layers - 1) + "] for the "
                    + layers + "-layer " + pretrained.name() + ", got " + layersToRemove);
        }
        String dataset = data.data.get(0);
        String folder = DataOptions.folderName(dataset);
        StudySpec spec = new StudySpec(pretrained.name(), List.of(folder), List.of(heal), List.of(strategy), 1,
                layersToRemove, layers, runtime.seed, data.trainSize, data.healSize, data.validationSize, data.testSize,
                data.signalSize, data.maxLength, settings.studyFingerprint(List.of(heal)));
        StudyRunner runner = new StudyRunner(spec, settings, out);
        EncodedSplits[] splits = new EncodedSplits[1];
        StudyResults results = runner.run(pretrained, f -> splits[0] = data.splits(dataset, pretrained.tokenizer(),
                runtime.seed), s -> new SignalComputer(s.signal(), signals.options()), resume);
        if (!results.incomplete().isEmpty()) {
            throw new IllegalStateException("pruning did not finish; see " + StudyResults.errorFile(
                    new CellKey(folder, heal, strategy, 0).directory(out)));
        }
        RunDirectory run = new RunDirectory(new CellKey(folder, heal, strategy, 0).directory(out));
        List<StepRecord> steps = run.steps();
        BertModel pruned = BertModel.forClassification(pretrained.weights(), splits[0].labels(), runtime.seed,
                DataType.FLOAT);
        run.loadModel(steps.get(steps.size() - 1).step(), pruned);
        Path target = export != null ? export : out.resolve("model");
        ModelExport.write(pruned.exportWeights(), pretrained.tokenizerFile(), target, ExportFormat.parse(exportFormat), overwrite);
        StepRecord first = steps.get(0);
        StepRecord last = steps.get(steps.size() - 1);
        System.out.printf(Locale.ROOT, "removed layers %s with %s (%s healing)%n",
                java.util.Arrays.toString(org.layerfuse.prune.loop.SequentialPruner.removalOrder(steps)), strategy, heal);
        System.out.printf(Locale.ROOT, "accuracy %.4f -> %.4f, parameters %,d -> %,d (%.1f MB -> %.1f MB)%n",
                first.accuracy(), last.accuracy(), first.parameters(), last.parameters(), first.sizeMb(), last.sizeMb());
        System.out.println("compressed model written to " + target + " (load it with --model " + target + ")");
        return 0;
    }
}
