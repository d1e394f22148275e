package org.layerfuse.prune.spark;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.cli.StudyCommand;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.loop.StepCache;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.CellOutcome;
import org.layerfuse.prune.study.StudyJob;
import org.layerfuse.prune.study.StudyRunner;

/**
 * A study as one executor JVM sees it: the driver's command line parsed again, the
 * pretrained model and the data from this host's cache ({@code ~/.cache/layerfuse}, filled
 * on first use), and each dataset's fine-tuned baseline read from the shared {@code --out}.
 * Loaded once per JVM and command line, then shared by every cell task the JVM runs.
 */
final class ExecutorStudy {

    private static final Map<String, ExecutorStudy> BY_COMMAND_LINE = new ConcurrentHashMap<>();

    private final StudyJob job;
    private final StudyRunner runner;
    private final Map<String, Dataset> datasets = new HashMap<>();

    /** A dataset's splits and its baseline, which tasks copy (never use directly: tasks run concurrently). */
    private record Dataset(EncodedSplits splits, BertModel baseline) {
    }

    private ExecutorStudy(StudyJob job) {
        this.job = job;
        this.runner = job.runner();
    }

    /** The study of this command line in this JVM, with {@code threads} ND4J threads. */
    static ExecutorStudy of(List<String> studyArguments, int threads) {
        return BY_COMMAND_LINE.computeIfAbsent(threads + "\u0000" + String.join("\u0000", studyArguments),
                k -> new ExecutorStudy(StudyCommand.executorJob(studyArguments, threads)));
    }

    /** Runs one cell under its lock (see {@link StudyRunner#runCell}). */
    CellOutcome runCell(CellKey key, String attempt) {
        Dataset d = dataset(key.dataset());
        BertModel baseline;
        synchronized (d) {
            baseline = d.baseline().copy();
        }
        StepCache cache = StudyRunner.newStepCache();
        try {
            return runner.runCell(key, baseline, d.splits(), job.signals().forSplits(d.splits()), cache, attempt);
        } finally {
            cache.releaseTestStates(); // the cell's kept hidden states, freed now rather than at a collection
        }
    }

    private synchronized Dataset dataset(String name) {
        return datasets.computeIfAbsent(name, n -> {
            EncodedSplits splits = job.data().apply(n);
            return new Dataset(splits, runner.loadBaseline(job.model(), splits));
        });
    }
}
