package org.layerfuse.bert;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The outputs of one forward call.
 *
 * @param sequenceOutput last hidden state {@code [B, S, H]}
 * @param pooled         pooler output {@code [B, H]}, or null without a pooler
 * @param logits         classifier logits {@code [B, C]}, or null without a head
 * @param embeddings     embedding output (HF {@code hidden_states[0]}) {@code [B, S, H]}, when requested
 * @param hiddenStates   output {@code [B, S, H]} of each live layer by original index, when requested
 * @param attention      attention probabilities {@code [B, h, S, S]} of each live layer, when requested
 */
public record Forward(INDArray sequenceOutput, INDArray pooled, INDArray logits, INDArray embeddings,
                      Map<Integer, INDArray> hiddenStates, Map<Integer, INDArray> attention) {

    /** Logits as a Java array {@code [B][C]}. */
    public float[][] logitsArray() {
        if (logits == null) {
            throw new IllegalStateException("the model has no classification head");
        }
        return logits.toFloatMatrix();
    }

    /** Arg-max class of each row. */
    public int[] predictions() {
        return logits.argMax(1).toIntVector();
    }
}
