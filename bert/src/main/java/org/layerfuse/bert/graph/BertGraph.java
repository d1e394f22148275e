package org.layerfuse.bert.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.graph.ops.GraphOps;
import org.layerfuse.bert.graph.ops.KdLossOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds the SameDiff graph of a BERT encoder, top to bottom as in the paper:
 * embeddings → encoder layers (blocks or identities) → pooler → classifier → loss.
 *
 * <p>Tokens are flattened to {@code N = B·S} rows so every dense layer is one 2-D matrix
 * product; only attention reshapes to {@code [B, h, S, d]}. The parameter arrays are used by
 * reference (not copied), so an update of an array is seen by the next graph built from it.
 *
 * <p>The embedding lookup (three table gathers) happens before the graph, and its gradient
 * (the matching scatter-add) after it: the graph starts at the summed embeddings, a
 * variable set per call, whose gradient SameDiff returns. SameDiff M2.1 differentiates {@code gather}
 * through a control-flow loop that fails for more than one gather in a graph and would be
 * slow anyway. The [CLS] rows are picked by a one-hot matrix product for the same reason.
 *
 * <p>The loss is α·CE(y, z) + (1 − α)·T²·KL(softmax(z_t/T) ‖ softmax(z/T)); plain fine-tuning
 * feeds α = 1 (the KL term then has weight 0). With the Java ops it is one op ({@code KdLossOp},
 * in double), else written out with ND4J ops.
 */
public final class BertGraph {

    // Placeholders.
    /**
     * Word + position + token-type embedding rows of every token, {@code [B·S, H]} (see class
     * doc). A variable whose array is replaced before each call: SameDiff M2.1 returns no
     * gradient for a placeholder that feeds a non-matmul op.
     */
    public static final String EMBEDDINGS_SUM = "embeddings.sum";
    public static final String ATTENTION_MASK = "attention_mask";
    /** One-hot {@code [B, B·S]} selecting each sequence's first ([CLS]) token. */
    public static final String CLS_SELECT = "cls_select";
    public static final String LABELS = "labels";
    public static final String TEACHER_LOGITS = "teacher_logits";
    public static final String KD_ALPHA = "kd_alpha";
    public static final String KD_TEMPERATURE = "kd_temperature";
    // Outputs.
    public static final String EMBEDDINGS_OUTPUT = "hidden.embeddings";
    public static final String POOLED_OUTPUT = "pooled_output";
    public static final String LOGITS = "logits";
    public static final String LOSS = "loss";
    public static final String CE_LOSS = "loss_ce";
    public static final String KD_LOSS = "loss_kd";

    /**
     * A built graph.
     *
     * @param trainable      names of the parameter variables in the graph (live layers only)
     * @param finalHidden    name of the last hidden state {@code [B·S, H]}
     * @param hasPooler      whether {@link #POOLED_OUTPUT} exists
     * @param hasClassifier  whether {@link #LOGITS} and {@link #LOSS} exist
     * @param clsRowsOnly    whether the last live block computes only the [CLS] rows (then
     *                       {@code finalHidden} is {@code [B, H]}; see {@link #build(BertConfig, List, Map, DataType, boolean)})
     */
    public record Built(SameDiff sd, List<String> trainable, String finalHidden, boolean hasPooler,
                        boolean hasClassifier, boolean clsRowsOnly) {
    }

    static {
        GraphOps.registerAll();
    }

    private BertGraph() {
    }

    /** Output of encoder layer {@code l} (exists only for live layers). */
    public static String hiddenName(int l) {
        return "hidden." + l;
    }

    /** Attention probabilities {@code [B, h, S, S]} of encoder layer {@code l} (live layers only). */
    public static String attentionName(int l) {
        return ParamNames.layer(l) + "attention.probs";
    }

    public static Built build(BertConfig cfg, List<EncoderLayer> layers, Map<String, INDArray> params,
                              DataType dtype) {
        return build(cfg, layers, params, dtype, false);
    }

    /**
     * The graph; with {@code clsRowsOnly} and a pooler, a graph for the loss: the pooler reads
     * each sequence's [CLS] row of the last live block alone, so that block computes every
     * token's K and V but its queries, attention output, layer norms and FFN for the [CLS] rows
     * only ({@link TransformerBlock#apply(GraphContext, SDVariable, SDVariable)}): the same loss,
     * logits and gradients as the whole graph's within float rounding, a MiniLM gradient call
     * ≈ 13 % less work. Its hidden states are not every token's, so outputs other than the pooled
     * output, logits and loss come from the whole graph.
     */
    public static Built build(BertConfig cfg, List<EncoderLayer> layers, Map<String, INDArray> params,
                              DataType dtype, boolean clsRowsOnly) {
        SameDiff sd = Graphs.create();
        SDVariable embedded = sd.var(EMBEDDINGS_SUM, Nd4j.zeros(dtype, 1, cfg.hiddenSize()));
        SDVariable mask = sd.placeHolder(ATTENTION_MASK, dtype, -1, -1);

        Map<String, SDVariable> vars = new LinkedHashMap<>();
        List<String> trainable = new ArrayList<>();
        vars.put(ParamNames.EMBEDDINGS_LN_GAMMA, variable(sd, ParamNames.EMBEDDINGS_LN_GAMMA, params, trainable));
        vars.put(ParamNames.EMBEDDINGS_LN_BETA, variable(sd, ParamNames.EMBEDDINGS_LN_BETA, params, trainable));
        for (EncoderLayer layer : layers) {
            if (layer.isLive()) {
                for (ParamNames.Entry e : ParamNames.layerParams(cfg, layer.index())) {
                    vars.put(e.name(), variable(sd, e.name(), params, trainable));
                }
            }
        }

        // Embeddings (word + position + token type, summed before the graph), then layer norm.
        SDVariable hidden = LayerNorm.apply(sd, EMBEDDINGS_OUTPUT, embedded, vars.get(ParamNames.EMBEDDINGS_LN_GAMMA),
                vars.get(ParamNames.EMBEDDINGS_LN_BETA), cfg.layerNormEps());

        // Batch-dependent shapes and the additive mask, shared by all layers.
        SDVariable headsShape = sd.concat(0, sd.shape(mask),
                sd.constant(Nd4j.createFromArray((long) cfg.numAttentionHeads(), (long) cfg.headSize())));
        SDVariable maskAdd = sd.expandDims(sd.expandDims(mask.rsub(1.0).mul(cfg.attentionMaskValue()), 1), 1);
        GraphContext context = new GraphContext(sd, cfg, vars, headsShape, maskAdd, mask);

        boolean hasPooler = params.containsKey(ParamNames.POOLER_KERNEL);
        int lastLive = -1;
        for (int i = 0; clsRowsOnly && hasPooler && i < layers.size(); i++) {
            if (layers.get(i) instanceof TransformerBlock) {
                lastLive = i;
            }
        }
        SDVariable select = lastLive >= 0 ? sd.placeHolder(CLS_SELECT, dtype, -1, -1) : null;
        for (int i = 0; i < layers.size(); i++) {
            EncoderLayer layer = layers.get(i);
            hidden = i == lastLive ? ((TransformerBlock) layer).apply(context, hidden, select) : layer.apply(context, hidden);
        }
        String finalHidden = hidden.name();

        boolean hasClassifier = hasPooler && params.containsKey(ParamNames.CLASSIFIER_KERNEL);
        if (hasPooler) {
            SDVariable cls = select != null ? hidden : sd.placeHolder(CLS_SELECT, dtype, -1, -1).mmul(hidden);
            SDVariable pooled = sd.math().tanh(POOLED_OUTPUT, Dense.apply(sd, "pooler.dense", cls,
                    variable(sd, ParamNames.POOLER_KERNEL, params, trainable),
                    variable(sd, ParamNames.POOLER_BIAS, params, trainable)));
            if (hasClassifier) {
                SDVariable logits = Dense.apply(sd, LOGITS, pooled,
                        variable(sd, ParamNames.CLASSIFIER_KERNEL, params, trainable),
                        variable(sd, ParamNames.CLASSIFIER_BIAS, params, trainable));
                addLoss(sd, logits, dtype);
            }
        }
        return new Built(sd, List.copyOf(trainable), finalHidden, hasPooler, hasClassifier, select != null);
    }

    /** α·CE + (1 − α)·T²·KL(teacher_T ‖ student_T), each term averaged over the batch. */
    private static void addLoss(SameDiff sd, SDVariable logits, DataType dtype) {
        SDVariable labels = sd.placeHolder(LABELS, dtype, -1, -1);
        SDVariable teacher = sd.placeHolder(TEACHER_LOGITS, dtype, -1, -1);
        SDVariable alpha = sd.placeHolder(KD_ALPHA, dtype);
        SDVariable temperature = sd.placeHolder(KD_TEMPERATURE, dtype);

        if (JavaOps.available()) {
            new KdLossOp(sd, logits, labels, teacher, alpha, temperature).outputVariable().rename(LOSS);
            sd.setLossVariables(LOSS);
            return;
        }
        SDVariable ce = logSoftmax(sd, logits).mul(labels).sum(1).mean().neg(CE_LOSS);
        SDVariable teacherT = teacher.div(temperature);
        SDVariable studentLogProbT = logSoftmax(sd, logits.div(temperature));
        SDVariable teacherProbT = sd.nn().softmax(teacherT, 1);
        SDVariable kl = teacherProbT.mul(logSoftmax(sd, teacherT).sub(studentLogProbT)).sum(1).mean(KD_LOSS);
        alpha.mul(ce).add(LOSS, alpha.rsub(1.0).mul(temperature).mul(temperature).mul(kl));
        sd.setLossVariables(LOSS);
    }

    /**
     * log softmax over classes, z − max − log Σ exp(z − max). Written out because ND4J
     * M2.1's LogSoftMax op fails when its gradient function is created.
     */
    private static SDVariable logSoftmax(SameDiff sd, SDVariable z) {
        SDVariable shifted = z.sub(z.max(true, 1));
        return shifted.sub(sd.math().log(sd.math().exp(shifted).sum(true, 1)));
    }

    private static SDVariable variable(SameDiff sd, String name, Map<String, INDArray> params, List<String> trainable) {
        INDArray array = params.get(name);
        if (array == null) {
            throw new IllegalStateException("no array for parameter '" + name + "'");
        }
        trainable.add(name);
        return sd.var(name, array);
    }
}
