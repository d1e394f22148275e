package org.layerfuse.prune.strategy;

import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the lowest I(A_l; y).
 *
 * <p>Why: Task-Relevance MI measures how much of the label a layer's output carries; a layer with little task-relevant
 * information is the most redundant for the task.
 */
public final class TaskRelevanceMiStrategy extends SingleSignalStrategy {

    public TaskRelevanceMiStrategy() {
        super(Signal.TASK_RELEVANCE_MI);
    }
}
