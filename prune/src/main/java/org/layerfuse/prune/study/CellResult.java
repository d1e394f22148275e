package org.layerfuse.prune.study;

import java.util.List;
import org.layerfuse.prune.loop.StepRecord;

/**
 * What a study cell holds on disk: its finished steps (baseline step 0 first), whether it
 * reached its target number of removals, and the error of a failed attempt, if any.
 */
public record CellResult(CellKey key, List<StepRecord> steps, int targetRemovals, String error) {

    public CellResult {
        steps = List.copyOf(steps);
    }

    public boolean complete() {
        return steps.size() == targetRemovals + 1;
    }

    /** Layers removed so far. */
    public int removals() {
        return Math.max(0, steps.size() - 1);
    }
}
