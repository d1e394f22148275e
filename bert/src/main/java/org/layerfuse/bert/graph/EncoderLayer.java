package org.layerfuse.bert.graph;

import org.nd4j.autodiff.samediff.SDVariable;

/**
 * One position in the encoder stack: either a real {@link TransformerBlock} or an
 * {@link IdentityLayer} left where a block was pruned, so the stack keeps its numbering.
 */
public sealed interface EncoderLayer permits TransformerBlock, IdentityLayer {

    /** The original index of this layer in the encoder. */
    int index();

    /** Adds this layer's ops to the graph and returns its output hidden states {@code [B·S, H]}. */
    SDVariable apply(GraphContext context, SDVariable hidden);

    /** True for a real block (its parameters are in the graph), false for an identity. */
    boolean isLive();
}
