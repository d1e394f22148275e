package org.layerfuse.prune.report;

import java.util.List;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.study.CellKey;

/** One cell's recorded steps (step 0, the unpruned model, first) and whether it reached its target. */
record Run(CellKey key, List<StepRecord> steps, boolean complete) {

    Run {
        steps = List.copyOf(steps);
    }

    /** Steps with a removed layer (k ≥ 1). */
    List<StepRecord> pruned() {
        return steps.subList(1, steps.size());
    }
}
