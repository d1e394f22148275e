package org.layerfuse.prune.graft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.graph.ArrayPool;
import org.layerfuse.bert.graph.GradientCalls;
import org.layerfuse.bert.graph.GraphContext;
import org.layerfuse.bert.graph.Graphs;
import org.layerfuse.bert.graph.TransformerBlock;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A small SameDiff graph of a graft window's span, apart from the model's graph: the window's
 * blocks, in index order, built by {@link TransformerBlock} over a {@link GraphContext} whose
 * six kernels of every block are the fused expressions W + (A·Bᵀ) ⊙ W_p of
 * {@link LowRankGraft}, and the local distillation loss of {@link GraftLoss} against the
 * teacher's output, each real token weighted 1/T:
 * <pre>
 *   input [B·S, H] → block → … → block → h_s;   loss = Σ_tokens w · ℓ(h_t, h_s)
 * </pre>
 * A and B are variables (trained in place); W and W_p are constants, or W and the blocks'
 * other parameters are variables (copies of the model's arrays) when the weights are trained.
 * The removed block's arrays are read from {@link BertModel#allParameters()}.
 */
final class WindowGraph {

    static final String INPUT = "window.input";
    static final String MASK = "window.mask";
    static final String TARGET = "window.target";
    static final String TOKEN_WEIGHT = "window.token_weight";
    static final String LOSS = "window.loss";

    /** The loss and its gradients for one batch. */
    record Step(double loss, Map<String, INDArray> coefficientGradients, Map<String, INDArray> weightGradients) {
    }

    private final SameDiff sd = Graphs.create();
    /** The intermediate arrays of one gradient call, kept for the next ({@link ArrayPool}). */
    private final ArrayPool pool = new ArrayPool();
    private final String output;
    private final Map<String, INDArray> coefficients = new LinkedHashMap<>();
    private final Map<String, INDArray> weights = new LinkedHashMap<>();

    WindowGraph(BertModel model, GraftWindow window, List<LowRankGraft> grafts, GraftLoss loss, double temperature,
                boolean trainWeights) {
        BertConfig cfg = model.config();
        DataType dtype = model.dataType();
        Map<String, LowRankGraft> byTarget = new LinkedHashMap<>();
        grafts.forEach(g -> byTarget.put(g.target(), g));
        SDVariable input = sd.placeHolder(INPUT, dtype, -1, cfg.hiddenSize());
        SDVariable mask = sd.placeHolder(MASK, dtype, -1, -1);
        SDVariable headsShape = sd.concat(0, sd.shape(mask),
                sd.constant(Nd4j.createFromArray((long) cfg.numAttentionHeads(), (long) cfg.headSize())));
        SDVariable maskAdd = sd.expandDims(sd.expandDims(mask.rsub(1.0).mul(cfg.attentionMaskValue()), 1), 1);

        Map<String, SDVariable> params = new LinkedHashMap<>();
        Map<String, SDVariable> sources = new LinkedHashMap<>(); // W_p, shared by the blocks grafting from it
        for (int l : window.ascending()) {
            for (ParamNames.Entry e : ParamNames.layerParams(cfg, l)) {
                INDArray array = model.parameter(e.name());
                SDVariable w;
                if (trainWeights) {
                    INDArray copy = array.dup('c');
                    weights.put(e.name(), copy);
                    w = sd.var(e.name(), copy);
                } else {
                    w = sd.constant(e.name(), array);
                }
                LowRankGraft g = byTarget.remove(e.name());
                if (g != null) {
                    SDVariable a = sd.var(g.target() + ".graft_a", g.a());
                    SDVariable b = sd.var(g.target() + ".graft_b", g.b());
                    coefficients.put(a.name(), g.a());
                    coefficients.put(b.name(), g.b());
                    SDVariable removed = sources.computeIfAbsent(g.source(),
                            n -> sd.constant(n, model.parameter(n)));
                    w = LowRankGraft.fused(sd, g.target() + ".fused", w, a, b, removed);
                }
                params.put(e.name(), w);
            }
        }
        if (!byTarget.isEmpty()) {
            throw new IllegalArgumentException("grafts target kernels outside the window " + window + ": "
                    + byTarget.keySet());
        }
        GraphContext context = new GraphContext(sd, cfg, params, headsShape, maskAdd, mask);
        SDVariable hidden = input;
        for (int l : window.ascending()) {
            hidden = new TransformerBlock(l).apply(context, hidden);
        }
        output = hidden.name();
        addLoss(hidden, loss, temperature, dtype);
    }

    private void addLoss(SDVariable student, GraftLoss loss, double temperature, DataType dtype) {
        SDVariable target = sd.placeHolder(TARGET, dtype, -1, -1);
        SDVariable weight = sd.placeHolder(TOKEN_WEIGHT, dtype, -1, 1);
        SDVariable perToken = switch (loss) {
            case KL -> {
                SDVariable teacherLog = logSoftmax(target.div(temperature));
                SDVariable studentLog = logSoftmax(student.div(temperature));
                yield sd.math().exp(teacherLog).mul(teacherLog.sub(studentLog)).sum(true, 1);
            }
            case MSE -> sd.math().square(student.sub(target)).mean(true, 1);
        };
        perToken.mul(weight).sum(LOSS);
        sd.setLossVariables(LOSS);
    }

    /**
     * log softmax over the hidden axis, z − max − log Σ exp(z − max), written out because ND4J
     * M2.1's LogSoftMax op fails when its gradient function is built (as in BertGraph).
     */
    private SDVariable logSoftmax(SDVariable z) {
        SDVariable shifted = z.sub(z.max(true, 1));
        return shifted.sub(sd.math().log(sd.math().exp(shifted).sum(true, 1)));
    }

    /** The fused span's output {@code [B·S, H]} for a batch of placeholders. */
    INDArray output(Map<String, INDArray> batch) {
        return sd.output(batch, output).get(output);
    }

    /** The loss of a batch, without gradients. */
    double loss(Map<String, INDArray> batch) {
        return sd.output(batch, LOSS).get(LOSS).getDouble(0);
    }

    /** The loss and its gradients with respect to A, B (and the window's weights when trained). */
    Step gradients(Map<String, INDArray> batch) {
        List<String> wrt = new ArrayList<>(coefficients.keySet());
        wrt.addAll(weights.keySet());
        OutAndGrad result = GradientCalls.outputsAndGradients(sd, batch, List.of(LOSS), wrt, pool);
        Map<String, INDArray> g = result.getGradients();
        Map<String, INDArray> cg = new LinkedHashMap<>();
        coefficients.keySet().forEach(n -> cg.put(n, g.get(n)));
        Map<String, INDArray> wg = new LinkedHashMap<>();
        weights.keySet().forEach(n -> wg.put(n, g.get(n)));
        INDArray loss = result.getOutputs().get(LOSS);
        double value = loss.getDouble(0);
        pool.recycle(List.of(loss));
        return new Step(value, cg, wg);
    }

    /** Gives a step's gradients, once applied, to the next gradient call's results; they must not be used after. */
    void recycle(Step step) {
        List<INDArray> arrays = new ArrayList<>(step.coefficientGradients().values());
        arrays.addAll(step.weightGradients().values());
        pool.recycle(arrays);
    }

    /** Frees the arrays kept between gradient calls (after training). */
    void releaseGradientMemory() {
        pool.close();
    }

    /** A and B of every graft by variable name (the arrays themselves). */
    Map<String, INDArray> coefficients() {
        return coefficients;
    }

    /** The window's trained parameters by model name (copies; empty when the weights are frozen). */
    Map<String, INDArray> weights() {
        return weights;
    }
}
