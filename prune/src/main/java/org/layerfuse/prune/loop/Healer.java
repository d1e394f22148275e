package org.layerfuse.prune.loop;

import org.layerfuse.bert.BertModel;

/**
 * Repairs the model after a layer was replaced by an identity: fine-tuning, distillation
 * from the unpruned teacher, or grafting the removed block into its neighbours.
 */
public interface Healer {

    /** Short name used in results: {@code none}, {@code ce}, {@code kd}, {@code graft}. */
    String name();

    /**
     * Heals {@code model} in place.
     *
     * @param model        the model with {@code removedLayer} already an identity; the removed
     *                     block's arrays are still in {@link BertModel#allParameters()}
     * @param removedLayer the original index of the layer just removed
     * @param step         the 1-based pruning step (seeds derive from it)
     * @return a short description of what was done (e.g. final training loss)
     */
    String heal(BertModel model, int removedLayer, int step);
}
