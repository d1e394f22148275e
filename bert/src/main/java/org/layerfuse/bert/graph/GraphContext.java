package org.layerfuse.bert.graph;

import java.util.Map;
import org.layerfuse.bert.BertConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * What every encoder layer needs while the graph is built: the graph, the config, the
 * parameter variables by {@link org.layerfuse.bert.ParamNames} name, the batch-dependent
 * head shape {@code [B, S, h, d]}, the additive attention mask {@code [B, 1, 1, S]} and the 0/1
 * mask {@code [B, S]} it is made from.
 */
public record GraphContext(SameDiff sd, BertConfig config, Map<String, SDVariable> params, SDVariable headsShape,
                           SDVariable maskAdd, SDVariable mask) {

    SDVariable param(String name) {
        SDVariable v = params.get(name);
        if (v == null) {
            throw new IllegalStateException("parameter '" + name + "' is not in the graph");
        }
        return v;
    }
}
