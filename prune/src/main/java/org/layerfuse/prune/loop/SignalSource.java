package org.layerfuse.prune.loop;

import org.layerfuse.bert.BertModel;
import org.layerfuse.prune.signals.LayerSignals;

/** Computes the signal table of a model's current state (live layers only). */
@FunctionalInterface
public interface SignalSource {
    LayerSignals compute(BertModel model);
}
