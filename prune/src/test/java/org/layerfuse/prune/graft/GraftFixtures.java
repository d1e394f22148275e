package org.layerfuse.prune.graft;

import java.util.List;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;

/** Small models for the grafting tests. */
final class GraftFixtures {

    /** Four layers, H = 8, two heads, FFN 16. */
    static final BertConfig CONFIG = new BertConfig(40, 8, 4, 2, 16, Activation.GELU_ERF, 16, 2, 1e-12, -10000.0,
            List.of("absent", "present"));

    private GraftFixtures() {
    }

    /**
     * A random model whose block kernels are scaled up 10× from the usual σ = 0.02, so that every
     * block changes its input visibly (at σ = 0.02 a block moves the residual stream by ~10⁻⁶).
     */
    static BertModel random(long seed, DataType dtype) {
        Backend.init();
        BertModel model = BertModel.random(CONFIG, seed, dtype);
        for (int l = 0; l < CONFIG.numHiddenLayers(); l++) {
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                model.parameter(m.kernel(l)).muli(10);
            }
        }
        return model;
    }

    /**
     * Makes block {@code layer} compute LN(LN(x)) of its input x: attention output and FFN
     * output weights and biases zero, layer norms γ = 1, β = 0. The input of every block of a
     * {@link BertModel#random random} model is already layer-normed with γ = 1, β = 0, so the
     * block is an identity up to rounding.
     */
    static void makeIdentity(BertModel model, int layer) {
        for (ParamNames.LayerMatrix m : List.of(ParamNames.LayerMatrix.ATTENTION_OUTPUT, ParamNames.LayerMatrix.OUTPUT)) {
            model.parameter(m.kernel(layer)).assign(0);
            model.parameter(m.bias(layer)).assign(0);
        }
        model.parameter(ParamNames.attentionLnGamma(layer)).assign(1);
        model.parameter(ParamNames.attentionLnBeta(layer)).assign(0);
        model.parameter(ParamNames.ffnLnGamma(layer)).assign(1);
        model.parameter(ParamNames.ffnLnBeta(layer)).assign(0);
    }
}
