package org.layerfuse.prune.study;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.Distiller;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.bert.train.TensorFile;
import org.layerfuse.bert.train.Trainer;
import org.layerfuse.bert.train.TrainerOptions;
import org.layerfuse.engine.NativeMemory;
import org.layerfuse.engine.Progress;
import org.layerfuse.engine.ResidentMemory;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.graft.GraftHealer;
import org.layerfuse.prune.graft.GraftOptions;
import org.layerfuse.prune.graft.StaticGraftHealer;
import org.layerfuse.prune.loop.HealedStates;
import org.layerfuse.prune.loop.Healer;
import org.layerfuse.prune.loop.Healers;
import org.layerfuse.prune.loop.OutputLock;
import org.layerfuse.prune.loop.RunDirectory;
import org.layerfuse.prune.loop.RunSpec;
import org.layerfuse.prune.loop.SequentialPruner;
import org.layerfuse.prune.loop.SignalSource;
import org.layerfuse.prune.loop.StepCache;
import org.layerfuse.prune.strategy.Strategies;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a study: for each dataset, fine-tunes the unpruned model once (the baseline and the
 * distillation teacher), then runs every cell (healing mode × strategy × repeat) as a
 * sequential pruning run in its own directory. A finished cell is skipped, an unfinished one
 * resumes from its last step, and a failing cell records {@code error.txt} and does not
 * stop the others.
 */
public final class StudyRunner {

    private static final Logger LOG = LoggerFactory.getLogger(StudyRunner.class);
    /** Most disk space for healed states shared between cells (see {@link StepCache}, {@link HealedStates}). */
    private static final long HEALED_STATE_BUDGET = 4L << 30;
    /** Healed states kept at most: enough for the strategies that agree on a step to share it. */
    private static final int HEALED_STATES_KEPT = 16;
    /** The scratch folder of healed states, inside the study's output (deleted when a dataset is done). */
    static final String STEP_CACHE_FOLDER = ".step-cache";

    /** How baselines are trained and pruned models healed. */
    public record Settings(TrainerOptions baselineTraining, TrainerOptions healing, double kdAlpha,
                           double kdTemperature, int evalBatch, boolean keepModels, GraftOptions graft) {

        /** With FuseGPT's grafting defaults, over the same epochs as CE and KD healing. */
        public Settings(TrainerOptions baselineTraining, TrainerOptions healing, double kdAlpha, double kdTemperature,
                        int evalBatch, boolean keepModels) {
            this(baselineTraining, healing, kdAlpha, kdTemperature, evalBatch, keepModels,
                    GraftOptions.defaults().withEpochs(healing.epochs()));
        }

        /**
         * The healing settings a resumed study with these healing modes must share: the
         * trainer's, and grafting's when a grafting mode runs.
         */
        public String studyFingerprint(List<String> heals) {
            String f = healing.fingerprint();
            return heals.stream().anyMatch(h -> h.startsWith("graft")) ? f + ";" + graft.fingerprint() : f;
        }

        /** What a run's healing depends on, for resume checks: the trainer's settings, or grafting's. */
        public String healFingerprint(String heal) {
            return switch (heal.toLowerCase(Locale.ROOT)) {
                case "graft" -> graft.fingerprint();
                case "graft-static" -> "graft-static:G=" + graft.windowSize();
                default -> healing.fingerprint();
            };
        }
    }

    /** Builds the signal source of a dataset's splits. */
    @FunctionalInterface
    public interface SignalSources {
        SignalSource forSplits(EncodedSplits splits);
    }

    private final StudySpec spec;
    private final Settings settings;
    private final Path out;
    /** Per dataset: the baseline's logits on the heal split, the distillation targets of every kd cell. */
    private final Map<String, INDArray> teacherLogits = new ConcurrentHashMap<>();

    /**
     * A cache for one cell run on its own (a Spark task): its steps never heal the same state
     * twice, so it keeps no healed states (see {@link StepCache}).
     */
    public static StepCache newStepCache() {
        return new StepCache();
    }

    public StudyRunner(StudySpec spec, Settings settings, Path out) {
        this.spec = spec;
        this.settings = settings;
        this.out = out;
    }

    /**
     * Runs (or continues) the study.
     *
     * @param resume continue a results directory that already holds this study
     * @return the results as on disk at the end, with any failed cells
     */
    public StudyResults run(PretrainedModels.Pretrained model, Function<String, EncodedSplits> data,
                            SignalSources signals, boolean resume) {
        try (OutputLock lock = OutputLock.acquire(out, "study of " + spec.model() + " on " + spec.datasets())) {
            return runLocked(model, data, signals, resume);
        }
    }

    private StudyResults runLocked(PretrainedModels.Pretrained model, Function<String, EncodedSplits> data,
                                   SignalSources signals, boolean resume) {
        prepare(resume);
        Progress cells = new Progress("study", spec.cells().size());
        for (String dataset : spec.datasets()) {
            EncodedSplits splits = data.apply(dataset);
            BertModel baseline = baseline(model, splits);
            SignalSource signalSource = signals.forSplits(splits);
            long healedBudget = healedStateBudget(baseline, dataset);
            try (HealedStates healed = healedBudget == 0 ? null
                    : new HealedStates(out.resolve(STEP_CACHE_FOLDER).resolve(dataset), healedBudget)) {
                StepCache cache = new StepCache(healed);
                for (CellKey key : spec.cells()) {
                    if (key.dataset().equals(dataset)) {
                        runCell(key, baseline, splits, signalSource, cache);
                        NativeMemory.trim();
                        String resident = ResidentMemory.format(ResidentMemory.currentBytes());
                        LOG.info("cell {} done; resident memory {}", key, resident);
                        cells.step("cell " + key + ", resident " + resident);
                    }
                }
                cache.releaseTestStates();
                LOG.info("{}: step cache answered {} of {} requests", dataset, cache.hits(),
                        cache.hits() + cache.misses());
            }
        }
        cells.close();
        deleteEmptyFolder(out.resolve(STEP_CACHE_FOLDER));
        return StudyResults.read(out);
    }

    /**
     * Disk bytes the step cache may keep in healed states: none when the dataset has a single
     * cell (nothing could reuse them), else up to {@value #HEALED_STATES_KEPT} model states within
     * 4 GiB (MiniLM: 16 × 0.09 GB; BERT-base: 9 × 0.44 GB).
     */
    private long healedStateBudget(BertModel baseline, String dataset) {
        long cells = spec.cells().stream().filter(k -> k.dataset().equals(dataset)).count();
        if (cells <= 1) {
            return 0;
        }
        long stateBytes = baseline.parameterCount() * baseline.dataType().width();
        return Math.min(HEALED_STATE_BUDGET, HEALED_STATES_KEPT * stateBytes);
    }

    private static void deleteEmptyFolder(Path folder) {
        try {
            Files.deleteIfExists(folder);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            LOG.warn("step cache folder {} is not empty; left in place", folder);
        } catch (IOException e) {
            LOG.warn("could not delete the step cache folder {} ({})", folder, e.getMessage());
        }
    }

    /**
     * Writes the spec to a new results directory, or checks an existing one holds this study
     * (and that {@code resume} was asked for).
     */
    public void prepare(boolean resume) {
        Path specFile = StudyResults.specFile(out);
        if (Files.exists(specFile)) {
            StudySpec existing = StudyResults.read(out).spec();
            if (!existing.equals(spec)) {
                throw new IllegalArgumentException(out + " holds a study with other settings (" + existing
                        + "); use another --out directory");
            }
            if (!resume) {
                throw new IllegalArgumentException(out + " already holds this study; pass --resume to continue it "
                        + "(finished cells are kept) or choose another --out directory");
            }
        } else {
            StudyResults.writeSpec(out, spec);
        }
    }

    /** Fine-tunes the unpruned model on the training split once per dataset and keeps it on disk. */
    public BertModel baseline(PretrainedModels.Pretrained pretrained, EncodedSplits splits) {
        BertModel model = BertModel.forClassification(pretrained.weights(), splits.labels(), spec.seed(), DataType.FLOAT);
        Path dir = StudyResults.baselineFile(out, splits.dataset()).getParent();
        Path modelFile = dir.resolve("model.bin");
        String fingerprint = baselineFingerprint(splits);
        if (Files.exists(modelFile) && StudyResults.readBaseline(out, splits.dataset()).isPresent()) {
            TensorFile.Contents c = null;
            try {
                c = TensorFile.read(modelFile);
            } catch (IllegalArgumentException e) {
                LOG.warn("{}: {}; training the baseline again", splits.dataset(), e.getMessage());
            }
            if (c != null && c.header().equals(fingerprint)) {
                model.loadState(c.arrays(), model.liveMask());
                LOG.info("{}: reusing the fine-tuned baseline in {}", splits.dataset(), dir);
                return model;
            }
            if (c != null) {
                LOG.warn("{}: baseline in {} was trained with other settings; training it again", splits.dataset(), dir);
            }
        }
        LOG.info("{}: fine-tuning the unpruned {} on {} examples", splits.dataset(), spec.model(), splits.train().size());
        Trainer.train(model, splits.train(), settings.baselineTraining());
        Evaluation e = Evaluator.evaluate(model, splits.test(), settings.evalBatch());
        int[] counts = splits.test().classCounts(splits.labels().size());
        int majority = java.util.Arrays.stream(counts).max().orElse(0);
        TensorFile.write(modelFile, fingerprint, model.allParameters());
        StudyResults.writeBaseline(out, new Baseline(splits.dataset(), spec.model(), e.accuracy(), e.macroF1(), e.loss(),
                model.parameterCount(), model.parameterCount() * 4.0 / 1e6, model.numLayers(),
                (double) majority / splits.test().size(), fingerprint));
        LOG.info("{}: baseline {}", splits.dataset(), e);
        return model;
    }

    /**
     * The baseline another process fine-tuned and saved under the results directory (a
     * distributed study's executors: the driver trains it once). Never trains: a missing or
     * different baseline means the executor does not see the driver's {@code --out}.
     */
    public BertModel loadBaseline(PretrainedModels.Pretrained pretrained, EncodedSplits splits) {
        Path modelFile = StudyResults.baselineFile(out, splits.dataset()).resolveSibling("model.bin");
        if (!Files.exists(modelFile)) {
            throw new IllegalStateException("the fine-tuned baseline " + modelFile + " is missing here: --out must be a "
                    + "directory every executor sees (a shared file system), and the driver writes it before any cell runs");
        }
        TensorFile.Contents c = TensorFile.read(modelFile);
        if (!c.header().equals(baselineFingerprint(splits))) {
            throw new IllegalStateException(modelFile + " was trained with other settings (" + c.header() + ") than this "
                    + "executor's (" + baselineFingerprint(splits) + "): do the driver and the executors run the same "
                    + "LayerFuse version and data?");
        }
        BertModel model = BertModel.forClassification(pretrained.weights(), splits.labels(), spec.seed(), DataType.FLOAT);
        model.loadState(c.arrays(), model.liveMask());
        return model;
    }

    private String baselineFingerprint(EncodedSplits splits) {
        return spec.model() + "|" + splits.dataset() + "|" + spec.trainSize() + "|" + spec.testSize() + "|"
                + spec.maxLength() + "|" + spec.seed() + "|" + settings.baselineTraining().fingerprint();
    }

    private void runCell(CellKey key, BertModel baseline, EncodedSplits splits, SignalSource signals, StepCache cache) {
        runCell(key, baseline, splits, signals, cache, attemptOfThisThread());
    }

    /** This process and thread, as an attempt id for {@link CellLock}. */
    public static String attemptOfThisThread() {
        return org.layerfuse.engine.ProcessLock.thisThread();
    }

    /**
     * Runs one cell (or resumes it, or finds it finished) while holding its {@link CellLock}:
     * any number of attempts may call this at once for the same cell, in any processes that
     * share {@code --out}; one writes at a time and each continues from what the previous
     * finished. A failing cell records {@code error.txt}; the error is also returned.
     */
    public CellOutcome runCell(CellKey key, BertModel baseline, EncodedSplits splits, SignalSource signals,
                               StepCache cache, String attempt) {
        long t0 = System.nanoTime();
        Path dir = key.directory(out);
        int before = -1;
        String error = null;
        try (CellLock lock = CellLock.acquire(dir, attempt)) {
            before = new RunDirectory(dir).steps().size();
            error = runCellLocked(key, baseline, splits, signals, cache);
        } catch (IOException e) {
            error = "cannot lock cell " + key + " in " + dir + ": " + e;
            LOG.error(error);
        }
        int after = new RunDirectory(dir).steps().size();
        return new CellOutcome(key.dataset(), key.heal(), key.strategy(), key.repeat(), Math.max(before, 0), after, error,
                attempt, (System.nanoTime() - t0) / 1e9);
    }

    /** Runs the cell; returns null or the error (also written to error.txt). */
    private String runCellLocked(CellKey key, BertModel baseline, EncodedSplits splits, SignalSource signals,
                                 StepCache cache) {
        Path dir = key.directory(out);
        RunDirectory run = new RunDirectory(dir);
        if (run.steps().size() == spec.layersToRemove() + 1) {
            return null;
        }
        long seed = spec.seed() + key.repeat();
        RunSpec runSpec = new RunSpec(spec.model(), key.dataset(), key.strategy(), key.heal(), seed,
                spec.layersToRemove(), spec.trainSize(), spec.healSize(), spec.validationSize(), spec.testSize(), spec.signalSize(),
                spec.maxLength(), settings.healFingerprint(key.heal()));
        LOG.info("cell {}", key);
        try {
            run.open(runSpec, true);
            BertModel model = baseline.copy();
            new SequentialPruner(Strategies.byName(key.strategy()), signals, healer(key.heal(), baseline, splits),
                    new SequentialPruner.Data(splits.signal(), splits.validation(), splits.test()), seed,
                    settings.evalBatch(), cache).run(model, spec.layersToRemove(), run, settings.keepModels());
            Files.deleteIfExists(StudyResults.errorFile(dir));
            if (!settings.keepModels()) {
                deleteModelFiles(dir);
            }
            return null;
        } catch (RuntimeException | IOException e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            RunDirectory.writeText(StudyResults.errorFile(dir), trace.toString());
            LOG.error("cell {} failed: {} (details in {})", key, e.getMessage(), StudyResults.errorFile(dir));
            return e.toString();
        }
    }

    private Healer healer(String heal, BertModel teacher, EncodedSplits splits) {
        return switch (heal.toLowerCase(Locale.ROOT)) {
            case "ce" -> Healers.fineTune(splits.heal(), settings.healing());
            case "kd" -> Healers.distill(() -> teacherLogits.computeIfAbsent(splits.dataset(),
                            d -> Distiller.teacherLogits(teacher, splits.heal(), settings.healing())),
                    splits.heal(), settings.healing(), settings.kdAlpha(), settings.kdTemperature());
            case "none" -> Healers.none();
            case "graft" -> new GraftHealer(graftCalibration(splits), settings.graft());
            case "graft-static" -> new StaticGraftHealer(settings.graft().windowSize());
            default -> throw new IllegalArgumentException("unknown healing mode '" + heal + "'; valid: "
                    + healingModes());
        };
    }

    private static void deleteModelFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("model-step-") && n.endsWith(".bin")) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Grafting's calibration examples: the healing subset, or the first n training examples. */
    private EncodedExamples graftCalibration(EncodedSplits splits) {
        int n = settings.graft().calibration();
        if (n == 0) {
            return splits.heal();
        }
        if (n > splits.train().size()) {
            throw new IllegalArgumentException("--graft-calibration " + n + " exceeds the " + splits.train().size()
                    + " training examples of " + splits.dataset() + " (raise --train-size)");
        }
        return splits.train().range(0, n);
    }

    /** Refuses a healing mode that is not one of {@link #healingModes()}, naming the valid ones. */
    public static void checkHealingModes(List<String> heals) {
        for (String h : heals) {
            if (!healingModes().contains(h)) {
                throw new IllegalArgumentException("unknown --heal mode '" + h + "'; valid: " + healingModes());
            }
        }
    }

    /** The valid healing modes. */
    public static List<String> healingModes() {
        return List.of("ce", "kd", "none", "graft", "graft-static");
    }
}
