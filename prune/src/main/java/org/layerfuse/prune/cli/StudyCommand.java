package org.layerfuse.prune.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.layerfuse.prune.loop.OutputLock;
import org.layerfuse.prune.report.ReportSummary;
import org.layerfuse.prune.report.StudyReport;
import org.layerfuse.prune.signals.SignalComputer;
import org.layerfuse.prune.strategy.PruningStrategy;
import org.layerfuse.prune.strategy.Strategies;
import org.layerfuse.prune.study.CellResult;
import org.layerfuse.prune.study.DistributedStudy;
import org.layerfuse.prune.study.StudyJob;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudyRunner;
import org.layerfuse.prune.study.StudySpec;
import org.layerfuse.weights.PretrainedModels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code layerfuse study}: strategies × datasets × healing modes × repeats, then the report. */
@Command(name = "study", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the strategic-fusion study: fine-tune the unpruned model on each dataset, then for every "
                + "healing mode and strategy prune layers one at a time (signals -> choose -> identity -> heal -> "
                + "evaluate), each step saved as it finishes. Random strategies are repeated with different seeds.",
                "Defaults run the embedded real default: all-MiniLM-L6-v2 on the spam-assassin corpus, all fifteen "
                        + "strategies, CE and KD healing."})
public final class StudyCommand implements Callable<Integer>, ValidatedOptions {

    @Mixin
    ModelOption model;

    @Mixin
    DataOptions data;

    @Option(names = "--strategies", split = ",", paramLabel = "<name>",
            description = "Strategies to compare (default: the paper's fifteen). Valid: ${COMPLETION-CANDIDATES}.",
            completionCandidates = StrategyNames.class)
    List<String> strategies;

    @Option(names = "--heal", split = ",", defaultValue = "ce,kd", paramLabel = "<mode>",
            description = "Healing after each removal: ce (fine-tune), kd (distil from the unpruned model), none, "
                    + "graft (FuseGPT's learnable low-rank grafting into the neighbours, trained by local distillation) "
                    + "or graft-static (add half of the removed block's matrices to the neighbours'). "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> heal;

    @Option(names = "--repeats", defaultValue = "10",
            description = "Runs of each random strategy, with seeds seed..seed+repeats-1 (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--layers-to-remove", defaultValue = "0",
            description = "Layers removed per run (default 0: all but one, L-1).")
    int layersToRemove;

    @Mixin
    TrainingOptions training;

    @Mixin
    GraftCliOptions graft;

    @Mixin
    SignalOptions signals;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--out", defaultValue = "results/study", description = "Results directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--resume", description = "Continue the study in --out: finished cells are kept, unfinished ones "
            + "resume from their last finished step.")
    boolean resume;

    @Option(names = "--keep-models", description = "Keep each finished cell's last model file (large).")
    boolean keepModels;

    @Option(names = "--no-report", description = "Skip writing <out>/report (tables, figures, report.html, summary.json).")
    boolean noReport;

    @Option(names = "--spark", paramLabel = "<master>",
            description = "Run the cells as Apache Spark tasks, one task per cell: local[N], local-cluster[workers,cores,MB], "
                    + "spark://host:port, yarn, k8s://..., or 'submit' under spark-submit (its --master applies). The "
                    + "driver fine-tunes each baseline once; --out must be a directory every executor reads and writes "
                    + "(a shared file system). Needs Spark's jars: LAYERFUSE_SPARK=1 ./layerfuse ..., or spark-submit.")
    String spark;

    @Option(names = "--spark-task-cpus", defaultValue = "1", paramLabel = "<n>",
            description = "With --spark: cores per cell task (spark.task.cpus), also the cell's ND4J threads "
                    + "(default: ${DEFAULT-VALUE}).")
    int sparkTaskCpus;

    @Option(names = "--spark-conf", paramLabel = "<key=value>",
            description = "With --spark: a further Spark setting, repeatable (e.g. spark.executor.memory=2g, "
                    + "spark.speculation=true).")
    Map<String, String> sparkConf = new LinkedHashMap<>();

    @Spec
    CommandSpec command;

    /** Every option's range, before the model is loaded; what needs the model's depth is checked after. */
    @Override
    public void validate() {
        data.validate();
        training.validate();
        graft.validate(data.trainSize);
        signals.validate();
        runtime.validate();
        StudyRunner.checkHealingModes(heal);
        if (strategies != null) {
            if (strategies.isEmpty()) {
                throw new IllegalArgumentException("--strategies must name at least one strategy");
            }
            strategies.forEach(Strategies::byName);
        }
        OptionRange.atLeast("--repeats", repeats, 1);
        OptionRange.atLeast("--layers-to-remove", layersToRemove, 0, " (0: all but one, L-1)");
        if (spark == null && (sparkTaskCpus != 1 || !sparkConf.isEmpty())) {
            throw new IllegalArgumentException("--spark-task-cpus and --spark-conf apply only with --spark <master>");
        }
        if (spark != null && (spark.isBlank() || sparkTaskCpus < 1)) {
            throw new IllegalArgumentException("--spark needs a master (e.g. local[2], spark://host:7077 or 'submit') and "
                    + "--spark-task-cpus a count >= 1, got --spark '" + spark + "' --spark-task-cpus " + sparkTaskCpus);
        }
    }

    @Override
    public Integer call() {
        validate();
        DistributedStudy cluster = spark == null ? null : distributed(); // before any work: Spark may be missing
        try (OutputLock lock = OutputLock.acquire(out, "layerfuse study")) {
            StudyJob job = job();
            StudyResults results;
            if (cluster == null) {
                results = job.runner().run(job.model(), job.data(), job.signals(), resume);
            } else {
                results = cluster.run(job, resume, new DistributedStudy.Options(spark, sparkTaskCpus, sparkConf,
                        studyArguments(command.commandLine().getParseResult().originalArgs())));
            }
            printSummary(results);
            if (!noReport) {
                ReportSummary report = StudyReport.write(results, StudyReport.defaultDirectory(out));
                System.out.println(report.text());
                System.out.println("report: " + report.html());
            }
            return results.incomplete().isEmpty() ? 0 : 1;
        }
    }

    /**
     * The study an executor of a distributed study runs: the driver's command line parsed
     * again here, with {@code threads} ND4J threads (the task's cores).
     */
    public static StudyJob executorJob(List<String> studyArguments, int threads) {
        StudyCommand c = new StudyCommand();
        CommandLine cli = new CommandLine(c);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.parseArgs(studyArguments.toArray(String[]::new));
        c.runtime.threads = threads;
        return c.job();
    }

    /** The arguments after the {@code study} subcommand's name. */
    static List<String> studyArguments(List<String> original) {
        int i = original.indexOf("study");
        return i < 0 ? original : original.subList(i + 1, original.size());
    }

    private static DistributedStudy distributed() {
        try {
            return (DistributedStudy) Class.forName(DistributedStudy.SPARK).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("--spark needs Apache Spark 4.0 (Scala 2.13) on the class path, which the plain "
                    + "class path leaves out: run ./layerfuse study --spark ... (the launcher adds Spark's jars when it "
                    + "sees --spark or LAYERFUSE_SPARK=1) or spark-submit --class "
                    + LayerFuseCli.class.getName() + " <layerfuse jar> study ... (" + e + ")", e);
        }
    }

    /** Starts the backend, loads the model and resolves the options into the study to run. */
    StudyJob job() {
        runtime.start();
        StudyRunner.Settings settings = new StudyRunner.Settings(training.baseline(runtime.seed),
                training.healing(runtime.seed), training.kdAlpha, training.kdTemperature, 64, keepModels,
                graft.options(runtime.seed));
        PretrainedModels.Pretrained pretrained = model.load(data.maxLength);
        int layers = pretrained.weights().config().numHiddenLayers();
        int k = layersToRemove == 0 ? layers - 1 : layersToRemove;
        List<String> names = strategies == null
                ? Strategies.paperFifteen().stream().map(PruningStrategy::name).toList() : strategies;
        names.forEach(Strategies::byName);
        if (k < 1 || k >= layers) {
            throw new IllegalArgumentException("--layers-to-remove must be in [1, " + (layers - 1) + "] for the "
                    + layers + "-layer " + pretrained.name() + ", got " + k);
        }
        Map<String, String> datasets = new LinkedHashMap<>();
        for (String d : data.data) {
            datasets.put(DataOptions.folderName(d), d);
        }
        StudySpec spec = new StudySpec(pretrained.name(), new ArrayList<>(datasets.keySet()), heal, names, repeats, k,
                layers, runtime.seed, data.trainSize, data.healSize, data.validationSize, data.testSize, data.signalSize,
                data.maxLength, settings.studyFingerprint(heal));
        SignalComputer.Options signalOptions = signals.options();
        return new StudyJob(spec, settings, out, pretrained,
                folder -> data.splits(datasets.get(folder), pretrained.tokenizer(), runtime.seed),
                splits -> new SignalComputer(splits.signal(), signalOptions));
    }

    static void printSummary(StudyResults results) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-24s %-5s %-8s %s%n", "strategy", "heal", "dataset", "accuracy by layers removed");
        for (CellResult c : results.cells()) {
            StringBuilder acc = new StringBuilder();
            c.steps().forEach(s -> acc.append(String.format(Locale.ROOT, " %.3f", s.accuracy())));
            String name = c.key().strategy() + (StudySpec.isRandom(c.key().strategy()) ? "#" + c.key().repeat() : "");
            System.out.printf(Locale.ROOT, "%-24s %-5s %-8s%s%s%n", name, c.key().heal(), c.key().dataset(), acc,
                    c.error() != null ? "  FAILED (see error.txt)" : c.complete() ? "" : "  incomplete");
        }
        List<CellResult> missing = results.incomplete();
        System.out.printf(Locale.ROOT, "%d of %d cells complete; results in %s%n", results.cells().size() - missing.size(),
                results.cells().size(), results.root());
    }

    /** Completion candidates for --strategies. */
    static final class StrategyNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Strategies.names().iterator();
        }
    }
}
