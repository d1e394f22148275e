package org.layerfuse.bert;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of one backward call: the loss, the logits it was computed from, and ∂loss/∂θ
 * for every parameter of the live graph, keyed by {@link ParamNames} name.
 */
public record Gradients(double loss, INDArray logits, Map<String, INDArray> byParameter) {
}
