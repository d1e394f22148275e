package org.layerfuse.bert;

import static org.layerfuse.bert.ParamNames.LayerMatrix.ATTENTION_OUTPUT;
import static org.layerfuse.bert.ParamNames.LayerMatrix.INTERMEDIATE;
import static org.layerfuse.bert.ParamNames.LayerMatrix.KEY;
import static org.layerfuse.bert.ParamNames.LayerMatrix.OUTPUT;
import static org.layerfuse.bert.ParamNames.LayerMatrix.QUERY;
import static org.layerfuse.bert.ParamNames.LayerMatrix.VALUE;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layerfuse.engine.fused.Gemm;
import org.layerfuse.engine.fused.GemmRoute;
import org.layerfuse.engine.fused.PackedMatrix;
import org.layerfuse.engine.fused.Team;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The BERT forward for one (batch, length) shape as a fixed sequence of steps over native
 * buffers allocated once: per live layer six GEMMs (ND4J's matmul on the faster of oneDNN and
 * OpenBLAS, see {@link GemmRoute}, written straight into the preallocated outputs) and four
 * in-place passes ({@link PlanKernels}):
 * <pre>
 *   q, k, v  = x·Wq + bq, x·Wk + bk, x·Wv + bv  (the bias in the product's pass: Gemm.gemmBias)
 *   ctx      = attention(q, k, v), heads read in place
 *   a        = LayerNorm(ctx·Wo + bo + x)        attention output, in place
 *   f        = act(a·W1 + b1)                    in place
 *   x        = LayerNorm(f·W2 + b2 + a)          into x's buffer
 * </pre>
 * A packed batch ({@link PackedRows}: the real tokens alone) runs the same steps in the first
 * rows of the same buffers, attention per sequence over its real keys. While the model's weights
 * are packed ({@link BertModel#packWeights}) the products read the packs (oneDNN's 1×1
 * convolution), and the FFN's first product applies its bias and activation in its own pass.
 * Parameters are read from the model on every call (no copies of the weights), so in-place updates
 * by training are always seen. Outputs handed to the caller are fresh arrays; the buffers
 * are reused by the next call of the same shape.
 */
final class InferencePlan {

    private final BertConfig config;
    private final int batch;
    private final int seq;
    private final Buffers padded;

    /** The plan's buffers, all of the same rows: the padded batch's, or their first rows for a packed one. */
    private record Buffers(INDArray hidden, INDArray attended, INDArray query, INDArray key, INDArray value,
                           INDArray context, INDArray intermediate) {

        /** Views of the first {@code n} rows of each (contiguous: a row-major buffer's first rows). */
        Buffers first(int n) {
            return new Buffers(rows(hidden, n), rows(attended, n), rows(query, n), rows(key, n), rows(value, n),
                    rows(context, n), rows(intermediate, n));
        }

        private static INDArray rows(INDArray buffer, int n) {
            return buffer.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
        }
    }

    InferencePlan(BertConfig config, DataType dtype, int batch, int seq) {
        this.config = config;
        this.batch = batch;
        this.seq = seq;
        long n = (long) batch * seq;
        int h = config.hiddenSize();
        padded = new Buffers(Nd4j.create(dtype, n, h), Nd4j.create(dtype, n, h), Nd4j.create(dtype, n, h),
                Nd4j.create(dtype, n, h), Nd4j.create(dtype, n, h), Nd4j.create(dtype, n, h),
                Nd4j.create(dtype, n, config.intermediateSize()));
    }

    boolean fits(int b, int s) {
        return b == batch && s == seq;
    }

    Forward run(BertModel model, ModelInputs.Flat tokens, PlanKernels kernels, boolean hiddenStates,
                boolean attention) {
        return run(model, tokens, kernels, hiddenStates, attention, null, -1);
    }

    /**
     * With {@code start} non-null: the forward resumed after layer {@code after}, {@code start}
     * ({@code [B, S, H]}) being the input of the first live layer past it (no embeddings computed,
     * none returned); the same buffers and kernels, so the result is bit for bit the full
     * forward's when {@code start} is what that forward had there.
     */
    Forward run(BertModel model, ModelInputs.Flat tokens, PlanKernels kernels, boolean hiddenStates,
                boolean attention, INDArray start, int after) {
        return execute(model, tokens, null, kernels, hiddenStates, attention, start, after, false);
    }

    /**
     * The forward computed on the real tokens of {@code packed} only, in the first rows of the
     * buffers: the sequence output (and with {@code hiddenStates} the embeddings and each live
     * layer's output) as {@code [B, S, H]} arrays holding the real tokens' rows and 0 for padding
     * (not computed). With {@code start} non-null, resumed after layer {@code after} from the
     * {@code [B, S, H]} state {@code start}, of which only the real tokens' rows are read.
     */
    Forward runPacked(BertModel model, PackedRows packed, PlanKernels kernels, boolean hiddenStates, INDArray start,
                      int after) {
        return execute(model, packed.tokens(), packed, kernels, hiddenStates, false, start, after, false);
    }

    /**
     * The pooled output and logits alone ({@code sequenceOutput} null) of the padded batch
     * ({@code packed} null) or of its real tokens: the last live layer runs its attention over every
     * row (every token is a key and a value) and its output product, layer norms and FFN over each
     * sequence's first row alone, the only row the pooler reads. A model without a pooler gets the
     * whole forward. Resumed after layer {@code after} from {@code start} as {@link #run} and
     * {@link #runPacked} resume; with {@code hiddenStates} the embeddings and each live layer's
     * output but the narrowed last one's.
     */
    Forward runLogits(BertModel model, ModelInputs.Flat tokens, PackedRows packed, PlanKernels kernels,
                      boolean hiddenStates, INDArray start, int after) {
        return execute(model, packed == null ? tokens : packed.tokens(), packed, kernels, hiddenStates, false, start,
                after, true);
    }

    /**
     * Every call's set-up: the padded buffers ({@code packed} null) or their first rows, the
     * products' library chosen for that row count (the weight packs where it is oneDNN), then the
     * layers.
     */
    private Forward execute(BertModel model, ModelInputs.Flat tokens, PackedRows packed, PlanKernels kernels,
                            boolean hiddenStates, boolean attention, INDArray start, int after, boolean logitsOnly) {
        Buffers rows = packed == null ? padded : padded.first(packed.rows());
        GemmRoute.Route route = GemmRoute.route(rows.hidden().rows(), config.hiddenSize(), config.intermediateSize(),
                rows.hidden().dataType());
        PackedWeights packs = route == GemmRoute.Route.ONEDNN ? model.packedWeights() : null;
        if (route != GemmRoute.Route.ONEDNN) {
            return GemmRoute.run(route, () -> runLayers(model, tokens, kernels, hiddenStates, attention, start, after,
                    rows, packed, packs, logitsOnly));
        }
        // the call holds the cores (Team): its products, attention and row passes split over them,
        // no OpenMP worker or pool thread to wake between kernels
        try (Team.Scope team = Team.enter()) {
            return GemmRoute.run(route, () -> runLayers(model, tokens, kernels, hiddenStates, attention, start, after,
                    rows, packed, packs, logitsOnly));
        }
    }

    private Forward runLayers(BertModel model, ModelInputs.Flat tokens, PlanKernels kernels, boolean hiddenStates,
                              boolean attention, INDArray start, int after, Buffers buffers, PackedRows packed,
                              PackedWeights packs, boolean logitsOnly) {
        BertConfig c = config;
        INDArray hidden = buffers.hidden();
        INDArray attended = buffers.attended();
        INDArray query = buffers.query();
        INDArray key = buffers.key();
        INDArray value = buffers.value();
        INDArray context = buffers.context();
        INDArray intermediate = buffers.intermediate();
        int h = c.hiddenSize();
        double eps = c.layerNormEps();
        INDArray embeddings = null;
        if (start == null) {
            kernels.embeddings(hidden, tokens, model.parameter(ParamNames.WORD_EMBEDDINGS),
                    model.parameter(ParamNames.POSITION_EMBEDDINGS), model.parameter(ParamNames.TOKEN_TYPE_EMBEDDINGS),
                    model.parameter(ParamNames.EMBEDDINGS_LN_GAMMA), model.parameter(ParamNames.EMBEDDINGS_LN_BETA), eps);
            embeddings = hiddenStates ? output(hidden, packed) : null;
        } else {
            if (start.length() != (long) batch * seq * h || start.dataType() != hidden.dataType()) {
                throw new IllegalArgumentException("resumed forward: the start state must be " + hidden.dataType()
                        + " [" + batch + ", " + seq + ", " + h + "], got " + start.dataType() + " "
                        + java.util.Arrays.toString(start.shape()));
            }
            INDArray rows = start.reshape((long) batch * seq, h);
            if (packed == null) {
                hidden.assign(rows);
            } else {
                try (INDArray real = Nd4j.pullRows(rows, 1, packed.paddedRows())) {
                    hidden.get(NDArrayIndex.interval(0, packed.real()), NDArrayIndex.all()).assign(real);
                }
            }
        }
        Map<Integer, INDArray> states = new LinkedHashMap<>();
        Map<Integer, INDArray> probabilities = new LinkedHashMap<>();
        int[] live = model.liveLayers();
        Map<String, INDArray> all = model.allParameters();
        boolean pooler = all.containsKey(ParamNames.POOLER_KERNEL);
        int narrowAt = logitsOnly && pooler && !attention && live.length > 0 ? live[live.length - 1] : -1;
        int[] firstRows = packed == null ? paddedFirstRows() : packed.firstRows();
        INDArray top = null; // the last live layer's output at each sequence's first row, when narrowed
        for (int l : live) {
            if (l <= after) {
                continue;
            }
            product(model, packs, QUERY.kernel(l), hidden, model.parameter(QUERY.bias(l)), query);
            product(model, packs, KEY.kernel(l), hidden, model.parameter(KEY.bias(l)), key);
            product(model, packs, VALUE.kernel(l), hidden, model.parameter(VALUE.bias(l)), value);
            INDArray probs = attention ? Nd4j.create(hidden.dataType(), batch, c.numAttentionHeads(), seq, seq) : null;
            if (packed == null) {
                kernels.attention(query, key, value, null, null, null, tokens, c.attentionMaskValue(),
                        c.numAttentionHeads(), context, probs);
            } else {
                SequenceAttention.packed(query, key, value, packed.offsets(), packed.lengths(), c.numAttentionHeads(),
                        context);
            }
            if (l == narrowAt) {
                top = narrowedRest(model, kernels, packs, l, firstRows, buffers);
                break;
            }
            product(model, packs, ATTENTION_OUTPUT.kernel(l), context, null, attended);
            kernels.biasResidualLayerNorm(attended, model.parameter(ATTENTION_OUTPUT.bias(l)), hidden,
                    model.parameter(ParamNames.attentionLnGamma(l)), model.parameter(ParamNames.attentionLnBeta(l)), eps);
            if (!activated(packs, INTERMEDIATE.kernel(l), attended, model.parameter(INTERMEDIATE.bias(l)),
                    intermediate, c.hiddenAct())) {
                product(model, packs, INTERMEDIATE.kernel(l), attended, null, intermediate);
                kernels.biasActivation(intermediate, model.parameter(INTERMEDIATE.bias(l)), c.hiddenAct());
            }
            product(model, packs, OUTPUT.kernel(l), intermediate, null, hidden);
            kernels.biasResidualLayerNorm(hidden, model.parameter(OUTPUT.bias(l)), attended,
                    model.parameter(ParamNames.ffnLnGamma(l)), model.parameter(ParamNames.ffnLnBeta(l)), eps);
            if (hiddenStates) {
                states.put(l, output(hidden, packed));
            }
            if (attention) {
                probabilities.put(l, probs);
            }
        }
        INDArray pooled = null;
        INDArray logits = null;
        if (pooler) {
            boolean classifier = all.containsKey(ParamNames.CLASSIFIER_KERNEL);
            INDArray[] head = kernels.head(top != null ? top : hidden, top != null ? ordinals(firstRows.length) : firstRows,
                    model.parameter(ParamNames.POOLER_KERNEL),
                    model.parameter(ParamNames.POOLER_BIAS),
                    classifier ? model.parameter(ParamNames.CLASSIFIER_KERNEL) : null,
                    classifier ? model.parameter(ParamNames.CLASSIFIER_BIAS) : null);
            pooled = head[0];
            logits = head[1];
        }
        return new Forward(top != null ? null : output(hidden, packed), pooled, logits, embeddings,
                Collections.unmodifiableMap(states), Collections.unmodifiableMap(probabilities));
    }

    /**
     * Layer {@code l} after its attention, for the rows {@code rows} of {@code buffers.context()}
     * (and of the layer's input, {@code buffers.hidden()}) alone: the output product, the residual
     * layer norm, the FFN and the second layer norm as {@link #runLayers} runs them, in the first
     * rows of the Q, K, V, intermediate and attended buffers (free once the attention has read
     * them). Returns those rows of the layer's output, {@code [rows.length, H]}.
     */
    private INDArray narrowedRest(BertModel model, PlanKernels kernels, PackedWeights packs, int l, int[] rows,
                                  Buffers buffers) {
        int b = rows.length;
        double eps = config.layerNormEps();
        INDArray context = Buffers.rows(buffers.query(), b);
        INDArray residual = Buffers.rows(buffers.key(), b);
        INDArray attended = Buffers.rows(buffers.value(), b);
        INDArray intermediate = Buffers.rows(buffers.intermediate(), b);
        INDArray out = Buffers.rows(buffers.attended(), b);
        try (INDArray c = Nd4j.pullRows(buffers.context(), 1, rows); INDArray r = Nd4j.pullRows(buffers.hidden(), 1, rows)) {
            context.assign(c);
            residual.assign(r);
        }
        product(model, packs, ATTENTION_OUTPUT.kernel(l), context, null, attended);
        kernels.biasResidualLayerNorm(attended, model.parameter(ATTENTION_OUTPUT.bias(l)), residual,
                model.parameter(ParamNames.attentionLnGamma(l)), model.parameter(ParamNames.attentionLnBeta(l)), eps);
        if (!activated(packs, INTERMEDIATE.kernel(l), attended, model.parameter(INTERMEDIATE.bias(l)), intermediate,
                config.hiddenAct())) {
            product(model, packs, INTERMEDIATE.kernel(l), attended, null, intermediate);
            kernels.biasActivation(intermediate, model.parameter(INTERMEDIATE.bias(l)), config.hiddenAct());
        }
        product(model, packs, OUTPUT.kernel(l), intermediate, null, out);
        kernels.biasResidualLayerNorm(out, model.parameter(OUTPUT.bias(l)), attended,
                model.parameter(ParamNames.ffnLnGamma(l)), model.parameter(ParamNames.ffnLnBeta(l)), eps);
        return out;
    }

    private static int[] ordinals(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private int[] paddedFirstRows() {
        int[] rows = new int[batch];
        for (int r = 0; r < batch; r++) {
            rows[r] = r * seq;
        }
        return rows;
    }

    /** A copy of a {@code [B·S, H]} buffer as the caller's {@code [B, S, H]} array. */
    private INDArray output(INDArray buffer) {
        return buffer.dup('c').reshape(batch, seq, config.hiddenSize());
    }

    /**
     * {@link #output(INDArray)} of a padded buffer, or a packed one's real rows put back in their
     * sequences' places of a {@code [B, S, H]} array of zeros.
     */
    private INDArray output(INDArray buffer, PackedRows packed) {
        if (packed == null) {
            return output(buffer);
        }
        int h = config.hiddenSize();
        INDArray out = Nd4j.create(buffer.dataType(), (long) batch * seq, h);
        int[] offsets = packed.offsets();
        int[] lengths = packed.lengths();
        if (NativeFloats.accepts(buffer)) {
            NativeFloats.Span from = NativeFloats.of(buffer, "packed rows");
            NativeFloats.Span to = NativeFloats.of(out, "hidden state");
            for (int r = 0; r < batch; r++) { // native to native, a sequence at a time
                to.bytes().put((to.start() + r * seq * h) * Float.BYTES, from.bytes(),
                        (from.start() + offsets[r] * h) * Float.BYTES, lengths[r] * h * Float.BYTES);
            }
            java.lang.ref.Reference.reachabilityFence(buffer);
            java.lang.ref.Reference.reachabilityFence(out);
        } else {
            for (int r = 0; r < batch; r++) {
                out.get(NDArrayIndex.interval((long) r * seq, (long) r * seq + lengths[r]), NDArrayIndex.all())
                        .assign(buffer.get(NDArrayIndex.interval(offsets[r], offsets[r] + lengths[r]),
                                NDArrayIndex.all()));
            }
        }
        return out.reshape(batch, seq, h);
    }

    /**
     * out = act(a·w + bias) in the packed product's own pass over {@code out} (oneDNN's eltwise
     * post-op: the FFN's bias and activation without a pass of their own); false where the model's
     * packs are not open or cannot run it (then the product and {@code biasActivation} run apart).
     */
    private static boolean activated(PackedWeights packs, String kernel, INDArray a, INDArray bias, INDArray out,
                                     Activation act) {
        PackedMatrix pack = packs != null ? packs.get(kernel) : null;
        return pack != null && pack.gemm(a, bias, out, switch (act) {
            case GELU_ERF -> PackedMatrix.Activation.GELU_ERF;
            case GELU_TANH -> PackedMatrix.Activation.GELU_TANH;
            case RELU -> PackedMatrix.Activation.RELU;
        });
    }

    /**
     * out = a·w (+ bias) into the preallocated {@code out}: against the weight's pack where the
     * model's packs are open, else through {@link Gemm} (oneDNN's matmul, or ND4J's op).
     */
    private static void product(BertModel model, PackedWeights packs, String kernel, INDArray a, INDArray bias,
                                INDArray out) {
        PackedMatrix pack = packs != null ? packs.get(kernel) : null;
        if (pack != null && pack.gemm(a, bias, out)) {
            return;
        }
        if (bias != null) {
            Gemm.gemmBias(a, model.parameter(kernel), bias, out);
        } else {
            Gemm.gemm(a, model.parameter(kernel), out, false, false, 1.0, 0.0);
        }
    }
}
