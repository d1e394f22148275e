package org.layerfuse.bert.graph;

import static org.layerfuse.bert.ParamNames.LayerMatrix.ATTENTION_OUTPUT;
import static org.layerfuse.bert.ParamNames.LayerMatrix.INTERMEDIATE;
import static org.layerfuse.bert.ParamNames.LayerMatrix.KEY;
import static org.layerfuse.bert.ParamNames.LayerMatrix.OUTPUT;
import static org.layerfuse.bert.ParamNames.LayerMatrix.QUERY;
import static org.layerfuse.bert.ParamNames.LayerMatrix.VALUE;

import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.ParamNames;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * A post-LN BERT encoder block:
 * <pre>
 *   a = LayerNorm(x + Attention(x))            (the attention's output bias added inside the layer norm)
 *   y = LayerNorm(a + GELU(a·W1 + b1)·W2 + b2) (b1 inside the GELU op, b2 inside the layer norm)
 * </pre>
 */
public record TransformerBlock(int index) implements EncoderLayer {

    @Override
    public SDVariable apply(GraphContext c, SDVariable x) {
        return apply(c, x, null);
    }

    /**
     * The block's output for the rows {@code rows} selects ({@code [R, B·S]} one-hot; null: every
     * row): every token's K and V, and only the selected tokens' attention, output product, layer
     * norms and FFN, {@code [R, H]}. For the last live block of a graph whose loss reads only each
     * sequence's [CLS] row: the same loss and gradients as the whole block's (within rounding).
     */
    public SDVariable apply(GraphContext c, SDVariable x, SDVariable rows) {
        SameDiff sd = c.sd();
        BertConfig cfg = c.config();
        int l = index;
        String p = ParamNames.layer(l);
        MultiHeadAttention.Result attention = MultiHeadAttention.apply(sd, p + "attention.", x, c.headsShape(),
                c.maskAdd(), c.mask(), cfg.attentionMaskValue(), cfg.hiddenSize(), cfg.headSize(),
                c.param(QUERY.kernel(l)), c.param(QUERY.bias(l)), c.param(KEY.kernel(l)), c.param(KEY.bias(l)),
                c.param(VALUE.kernel(l)), c.param(VALUE.bias(l)),
                c.param(ATTENTION_OUTPUT.kernel(l)), rows);
        SDVariable residual = rows == null ? x : rows.mmul(x);
        // each dense layer's bias is added by the op that reads its product (the layer norms, the GELU)
        SDVariable attended = LayerNorm.apply(sd, p + "attention.ln", attention.output(),
                c.param(ATTENTION_OUTPUT.bias(l)), residual, c.param(ParamNames.attentionLnGamma(l)),
                c.param(ParamNames.attentionLnBeta(l)), cfg.layerNormEps());

        SDVariable intermediate = Gelu.apply(sd, p + "ffn.act",
                Dense.product(sd, p + "ffn.intermediate", attended, c.param(INTERMEDIATE.kernel(l))),
                c.param(INTERMEDIATE.bias(l)), cfg.hiddenAct());
        SDVariable ffn = Dense.product(sd, p + "ffn.output", intermediate, c.param(OUTPUT.kernel(l)));
        return LayerNorm.apply(sd, rows == null ? BertGraph.hiddenName(l) : BertGraph.hiddenName(l) + ".selected", ffn,
                c.param(OUTPUT.bias(l)), attended,
                c.param(ParamNames.ffnLnGamma(l)), c.param(ParamNames.ffnLnBeta(l)), cfg.layerNormEps());
    }

    @Override
    public boolean isLive() {
        return true;
    }
}
