package org.layerfuse.bert.graph;

import org.nd4j.autodiff.samediff.SDVariable;

/**
 * A pruned layer: passes its input through unchanged and adds no op to the graph, so the
 * forward pass costs nothing for it. The block's weights are kept by the model (outside the
 * graph) so the layer can be restored.
 */
public record IdentityLayer(int index) implements EncoderLayer {

    @Override
    public SDVariable apply(GraphContext context, SDVariable hidden) {
        return hidden;
    }

    @Override
    public boolean isLive() {
        return false;
    }
}
