package org.layerfuse.prune.study;

import java.nio.file.Path;
import java.util.function.Function;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.weights.PretrainedModels;

/**
 * Everything a study needs, resolved from its command line: what to run, how to heal, where
 * results go, the pretrained model, and how each dataset's splits and signals are made.
 */
public record StudyJob(StudySpec spec, StudyRunner.Settings settings, Path out, PretrainedModels.Pretrained model,
                       Function<String, EncodedSplits> data, StudyRunner.SignalSources signals) {

    public StudyRunner runner() {
        return new StudyRunner(spec, settings, out);
    }
}
