package org.layerfuse.bert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.layerfuse.bert.graph.ArrayPool;
import org.layerfuse.bert.graph.BertGraph;
import org.layerfuse.bert.graph.GradientCalls;
import org.layerfuse.bert.graph.EncoderLayer;
import org.layerfuse.bert.graph.IdentityLayer;
import org.layerfuse.bert.graph.TransformerBlock;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.javaop.JavaOps;
import org.layerfuse.engine.kernels.RowSupport;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A BERT encoder (with optional pooler and classification head) as an ND4J SameDiff graph.
 *
 * <p>Each encoder position holds a {@link TransformerBlock} or, once pruned, an
 * {@link IdentityLayer}. Parameters are keyed by {@link ParamNames} and keep their original
 * layer index forever; a removed layer's arrays stay here (outside the graph) so it can be
 * restored. The graph is rebuilt lazily after a change of the live set; rebuilding reuses the
 * same arrays, so nothing is reloaded or renumbered.
 *
 * <p>Not thread-safe: one model per training or evaluation thread.
 */
public final class BertModel {

    private final BertConfig config;
    private final DataType dtype;
    private final Map<String, INDArray> params;
    private final boolean[] live;
    private BertGraph.Built built;
    /** The graph gradient calls run ({@link #trainingGraph}): {@link #built}, or its [CLS]-rows-only twin. */
    private BertGraph.Built training;
    /** The intermediate arrays of {@link #training}'s gradient calls, kept between calls. */
    private ArrayPool pool;
    /** This model's own fused forward (buffers for its last shapes), made on first use. */
    private FusedForward fused;
    /** Weight packs the fused forward reads while open ({@link #packWeights}), shared with replicas. */
    private final PackSlot packSlot;

    /** System property choosing the path of {@link #forward}: {@code fused} (default) or {@code graph}. */
    public static final String FORWARD_PROPERTY = "layerfuse.forward";
    private static final boolean PACK_TRAINING_BY_PROPERTY =
            Boolean.parseBoolean(System.getProperty("layerfuse.train.pack", "true"));
    private static volatile boolean packTraining = PACK_TRAINING_BY_PROPERTY;
    private static final boolean CLS_ROWS_BY_PROPERTY =
            Boolean.parseBoolean(System.getProperty("layerfuse.train.clsRowsOnly", "true"));
    private static volatile boolean clsRowsOnly = CLS_ROWS_BY_PROPERTY;

    private BertModel(BertConfig config, Map<String, INDArray> params, boolean[] live, DataType dtype) {
        this(config, params, live, dtype, new PackSlot());
    }

    private BertModel(BertConfig config, Map<String, INDArray> params, boolean[] live, DataType dtype,
                      PackSlot packSlot) {
        this.config = config;
        this.params = params;
        this.live = live;
        this.dtype = dtype;
        this.packSlot = packSlot;
    }

    /** A model over imported weights, in float32. */
    public static BertModel fromWeights(BertWeights weights) {
        return fromWeights(weights, DataType.FLOAT);
    }

    /** A model over imported weights in the given floating-point type (DOUBLE for gradient checks). */
    public static BertModel fromWeights(BertWeights weights, DataType dtype) {
        Backend.init();
        requireFloatingPoint(dtype);
        Map<String, INDArray> params = new LinkedHashMap<>();
        weights.tensors().forEach((name, t) -> params.put(name, Nd4j.create(t.data(), t.shape(), 'c').castTo(dtype)));
        boolean[] live = new boolean[weights.config().numHiddenLayers()];
        java.util.Arrays.fill(live, true);
        return new BertModel(weights.config(), params, live, dtype);
    }

    /**
     * A model for classification over these labels: the encoder (and pooler, if present) from
     * {@code weights}; a missing pooler and the classifier initialised as Hugging Face does
     * (N(0, 0.02) weights, zero biases) from {@code seed}. An existing head with the same
     * number of labels is kept.
     */
    public static BertModel forClassification(BertWeights weights, List<String> labels, long seed, DataType dtype) {
        BertConfig cfg = weights.config().withLabels(labels);
        Map<String, Tensor> tensors = new LinkedHashMap<>(weights.tensors());
        boolean keepHead = weights.config().numLabels() == labels.size() && weights.has(ParamNames.CLASSIFIER_KERNEL);
        if (!keepHead) {
            tensors.remove(ParamNames.CLASSIFIER_KERNEL);
            tensors.remove(ParamNames.CLASSIFIER_BIAS);
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<ParamNames.Entry> missing = new ArrayList<>(ParamNames.poolerParams(cfg));
        missing.addAll(ParamNames.classifierParams(cfg));
        for (ParamNames.Entry e : missing) {
            tensors.computeIfAbsent(e.name(), n -> initialTensor(n, e.shape(), random));
        }
        return fromWeights(BertWeights.validated(cfg, tensors, weights.source()), dtype);
    }

    /** A randomly initialised model (Hugging Face's initialisation), for tests and from-scratch training. */
    public static BertModel random(BertConfig config, long seed, DataType dtype) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<ParamNames.Entry> all = new ArrayList<>(ParamNames.embeddingParams(config));
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            all.addAll(ParamNames.layerParams(config, l));
        }
        all.addAll(ParamNames.poolerParams(config));
        all.addAll(ParamNames.classifierParams(config));
        for (ParamNames.Entry e : all) {
            tensors.put(e.name(), initialTensor(e.name(), e.shape(), random));
        }
        return fromWeights(BertWeights.validated(config, tensors, "random(seed=" + seed + ")"), dtype);
    }

    private static Tensor initialTensor(String name, long[] shape, SplittableRandom random) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] data = new float[Math.toIntExact(n)];
        if (name.endsWith(".gamma")) {
            java.util.Arrays.fill(data, 1f);
        } else if (!ParamNames.isBiasOrNorm(name)) {
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (0.02 * gaussian(random));
            }
        }
        return new Tensor(shape, data);
    }

    private static double gaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static void requireFloatingPoint(DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("model data type must be FLOAT or DOUBLE, got " + dtype);
        }
    }

    public BertConfig config() {
        return config;
    }

    public DataType dataType() {
        return dtype;
    }

    public int numLayers() {
        return live.length;
    }

    public boolean isLive(int layer) {
        checkLayer(layer);
        return live[layer];
    }

    /** Original indices of the live layers, ascending. */
    public int[] liveLayers() {
        int[] out = new int[liveCount()];
        int k = 0;
        for (int l = 0; l < live.length; l++) {
            if (live[l]) {
                out[k++] = l;
            }
        }
        return out;
    }

    public int liveCount() {
        int n = 0;
        for (boolean b : live) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** Replaces layer {@code l} by an identity. Its weights are kept for {@link #restoreLayer}. */
    public void removeLayer(int layer) {
        checkLayer(layer);
        if (!live[layer]) {
            throw new IllegalStateException("layer " + layer + " is already removed");
        }
        live[layer] = false;
        dropGraph();
    }

    /** Puts the original block back at position {@code l}. */
    public void restoreLayer(int layer) {
        checkLayer(layer);
        if (live[layer]) {
            throw new IllegalStateException("layer " + layer + " is live");
        }
        live[layer] = true;
        dropGraph();
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= live.length) {
            throw new IllegalArgumentException("layer " + layer + " is outside [0, " + live.length + ")");
        }
    }

    /** The encoder stack as the graph sees it. */
    public List<EncoderLayer> layers() {
        List<EncoderLayer> out = new ArrayList<>(live.length);
        for (int l = 0; l < live.length; l++) {
            out.add(live[l] ? new TransformerBlock(l) : new IdentityLayer(l));
        }
        return out;
    }

    /**
     * Parameters of the live model by name (the arrays themselves, not copies): the three
     * embedding tables, then the graph's variables.
     */
    public Map<String, INDArray> parameters() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String name : List.of(ParamNames.WORD_EMBEDDINGS, ParamNames.POSITION_EMBEDDINGS,
                ParamNames.TOKEN_TYPE_EMBEDDINGS)) {
            out.put(name, params.get(name));
        }
        for (String name : trainingGraph().trainable()) {
            out.put(name, params.get(name));
        }
        return Collections.unmodifiableMap(out);
    }

    /** Every parameter array, removed layers' included (the arrays themselves). */
    public Map<String, INDArray> allParameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Which layers are live, by original index (a copy). */
    public boolean[] liveMask() {
        return live.clone();
    }

    /**
     * Sets every parameter from {@code arrays} (same names and shapes) and the live set: the
     * inverse of {@link #allParameters()} and {@link #liveMask()}, used to resume runs.
     */
    public void loadState(Map<String, INDArray> arrays, boolean[] liveLayers) {
        if (liveLayers.length != live.length) {
            throw new IllegalArgumentException("state has " + liveLayers.length + " layers, model " + live.length);
        }
        if (!arrays.keySet().equals(params.keySet())) {
            throw new IllegalArgumentException("state parameters differ from the model's: expected " + params.keySet()
                    + ", got " + arrays.keySet());
        }
        dropPacks(null); // before the first value changes, even if a later shape is refused
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray target = params.get(e.getKey());
            if (!java.util.Arrays.equals(target.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' has shape "
                        + java.util.Arrays.toString(e.getValue().shape()) + ", expected "
                        + java.util.Arrays.toString(target.shape()));
            }
            target.assign(e.getValue());
        }
        System.arraycopy(liveLayers, 0, live, 0, live.length);
        dropGraph();
    }

    /**
     * Packs the live layers' weight matrices once ({@link PackedWeights}: reordered for oneDNN's
     * 1×1-convolution kernels) and has the fused forward's products read them, until the returned
     * packs are closed or dropped. They belong to the parameter arrays, so this model's {@link #replica()
     * replicas} read them too, and any of them drops them when it computes gradients or loads a
     * state (the arrays' values change), as does the next call of this method. For a float32
     * model whose weights stay as they are while it infers (the deploy API's engines); where
     * nothing can be packed (float64, another backend) the packs are empty and the forward
     * unchanged. The packs cost about the weight matrices' bytes again in native memory
     * ({@link PackedWeights#bytes}). Results are the direct products' within float32 rounding.
     */
    public PackedWeights packWeights() {
        synchronized (packSlot) {
            dropPacks(null);
            PackedWeights made = PackedWeights.of(this);
            packSlot.packs = made;
            return made;
        }
    }

    /** The open packs the fused forward reads ({@link #packWeights}), or null. */
    public PackedWeights packedWeights() {
        PackedWeights p = packSlot.packs;
        return p != null && p.isOpen() ? p : null;
    }

    /** Frees {@code which} (null: the open packs of these arrays) and forgets them if they are the open ones. */
    void dropPacks(PackedWeights which) {
        synchronized (packSlot) {
            PackedWeights drop = which != null ? which : packSlot.packs;
            if (drop == packSlot.packs) {
                packSlot.packs = null;
            }
            if (drop != null) {
                drop.free(); // idempotent: packs dropped before may be closed again
            }
        }
    }

    /** The packs of one set of parameter arrays: a model and its replicas share it as they share the arrays. */
    private static final class PackSlot {
        volatile PackedWeights packs;
    }

    /** One parameter array (live or removed layer). */
    public INDArray parameter(String name) {
        INDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'");
        }
        return a;
    }

    /** Number of parameters in the live graph. */
    public long parameterCount() {
        long n = 0;
        for (INDArray a : parameters().values()) {
            n += a.length();
        }
        return n;
    }

    /**
     * The SameDiff graph for the current live set (built on first use after a change): every
     * token's hidden states, for {@link #forwardGraph}.
     */
    public BertGraph.Built graph() {
        if (built == null) {
            built = BertGraph.build(config, layers(), params, dtype);
        }
        return built;
    }

    /**
     * The graph gradient calls run: for a model with a pooler, one whose last live block computes
     * the [CLS] rows alone (the loss reads nothing else; {@link BertGraph#build(BertConfig, List, Map,
     * DataType, boolean)}), else {@link #graph()}. {@code -Dlayerfuse.train.clsRowsOnly=false} (or
     * {@link #clsRowsOnlyTraining}) keeps every row.
     */
    public BertGraph.Built trainingGraph() {
        if (training == null) {
            boolean select = clsRowsOnly && params.containsKey(ParamNames.POOLER_KERNEL) && liveCount() > 0;
            training = select ? BertGraph.build(config, layers(), params, dtype, true) : graph();
            pool = new ArrayPool();
        }
        return training;
    }

    /**
     * Whether gradient calls of models whose graph is built from now on compute the last live
     * block for the [CLS] rows alone (tests and benchmarks compare both; null: back to
     * {@code -Dlayerfuse.train.clsRowsOnly}, default true).
     */
    public static void clsRowsOnlyTraining(Boolean on) {
        clsRowsOnly = on != null ? on : CLS_ROWS_BY_PROPERTY;
    }

    /** Forgets the graphs (rebuilt on next use) and frees the arrays the gradient calls kept. */
    private void dropGraph() {
        built = null;
        training = null;
        if (pool != null) {
            pool.close();
            pool = null;
        }
    }

    /**
     * As {@link Gradients#free()}, but the arrays go to this model's next gradient call, which
     * needs arrays of the same shapes for its results (a training step then allocates nothing
     * new for them). {@code g} must come from this model and must not be used afterwards.
     */
    public void recycle(Gradients g) {
        if (pool == null) {
            g.free();
            return;
        }
        List<INDArray> arrays = new ArrayList<>();
        g.handOverGradients(arrays::add);
        arrays.add(g.logits());
        pool.recycle(arrays);
    }

    /** Bytes of the arrays kept for the next gradient call (tests). */
    long pooledGradientBytes() {
        return pool == null ? 0 : pool.pooledBytes();
    }

    /**
     * Frees now the arrays that gradient calls keep for the next call ({@link ArrayPool}),
     * e.g. when training ends; the next gradient call allocates afresh.
     */
    public void releaseGradientMemory() {
        if (pool != null) {
            pool.close();
            pool = new ArrayPool();
        }
    }

    /** Forward pass returning the sequence output, pooled output and logits where present. */
    public Forward forward(TokenBatch batch) {
        return forward(batch, false, false);
    }

    /**
     * Forward pass; with {@code hiddenStates} and/or {@code attention} also returns every live
     * layer's output and attention probabilities from the same call.
     *
     * <p>Computed by the fused inference path ({@link FusedForward}: GEMMs into preallocated
     * buffers and in-place kernels, 3–4× faster than the graph), unless the system property
     * {@code layerfuse.forward=graph} asks for the SameDiff graph ({@link #forwardGraph}).
     * Both compute the same function (float32: within 1e-5 relative; float64: 1e-9).
     */
    public Forward forward(TokenBatch batch, boolean hiddenStates, boolean attention) {
        if (!forwardIsFused()) {
            return forwardGraph(batch, hiddenStates, attention);
        }
        return fused().forward(batch, hiddenStates, attention);
    }

    /**
     * {@link #forward(TokenBatch)} on the real tokens alone where the batch allows (evaluation,
     * predictions, sentence embeddings): padding costs nothing ({@link FusedForward#forwardPacked}:
     * the real tokens' outputs and the logits are the full forward's within float rounding, and
     * padding's rows of the sequence output are 0). With {@code layerfuse.forward=graph}, the
     * graph's full forward.
     */
    public Forward forwardPacked(TokenBatch batch) {
        return forwardPacked(batch, false);
    }

    /**
     * The pooled output and logits alone ({@code sequenceOutput} null): {@link #forwardPacked(TokenBatch)}
     * with the last live layer's output product, layer norms and FFN run for each sequence's first
     * row alone (the only row the pooler reads; ≈ 1/7 of a MiniLM forward's work), the same logits
     * within float rounding. For evaluation and classification; the graph path
     * ({@code -Dlayerfuse.forward=graph}) and a model without a pooler return the whole forward.
     */
    public Forward logits(TokenBatch batch) {
        return logits(batch, false);
    }

    /**
     * {@link #logits(TokenBatch)}; with {@code hiddenStates} also the embeddings and each live
     * layer's output but the last's ({@code [B, S, H]}, as {@link #forwardPacked(TokenBatch, boolean)}
     * returns them), from which {@link #logitsAfter} resumes.
     */
    public Forward logits(TokenBatch batch, boolean hiddenStates) {
        if (!forwardIsFused()) {
            return forwardPacked(batch, hiddenStates);
        }
        return fused().logits(batch, hiddenStates);
    }

    /**
     * {@link #forwardPacked(TokenBatch)}, with {@code hiddenStates} also the embeddings and each
     * live layer's output ({@code [B, S, H]}, padding's rows 0 where packed), to resume from with
     * {@link #forwardPackedAfter}.
     */
    public Forward forwardPacked(TokenBatch batch, boolean hiddenStates) {
        if (!forwardIsFused()) {
            return forwardGraph(batch, hiddenStates, false);
        }
        return fused().forwardPacked(batch, hiddenStates);
    }

    /**
     * {@link #forwardPacked} resumed after layer {@code after} from {@code start}, the state a
     * {@link #forwardPacked(TokenBatch, boolean)} of the same batch returned before the next live
     * layer (see {@link FusedForward#forwardPackedAfter}).
     */
    public Forward forwardPackedAfter(TokenBatch batch, int after, INDArray start) {
        return fused().forwardPackedAfter(batch, after, start);
    }

    /**
     * {@link #logits(TokenBatch)} resumed after layer {@code after} from {@code start}, the state a
     * {@link #forwardPacked(TokenBatch, boolean)} of the same batch returned before the next live
     * layer: the pooled output and logits alone ({@code sequenceOutput} null), as
     * {@link #forwardPackedAfter} computes them but for the last live layer's [CLS] rows alone.
     */
    public Forward logitsAfter(TokenBatch batch, int after, INDArray start) {
        return fused().logitsAfter(batch, after, start);
    }

    /**
     * The fused forward resumed after layer {@code after} from {@code start}, the input of the
     * next live layer (see {@link FusedForward#forwardAfter}): what a caller evaluating many
     * variants that share their first layers (the ΔA of each layer's removal) computes once.
     */
    public Forward forwardAfter(TokenBatch batch, int after, INDArray start) {
        return fused().forwardAfter(batch, after, start);
    }

    /**
     * Whether {@link #forward} runs the fused path ({@code -Dlayerfuse.forward}, default
     * {@code fused}); with {@code graph}, callers that resume forwards ({@link #forwardAfter})
     * evaluate in full instead, so that every forward takes the same path.
     */
    public static boolean forwardIsFused() {
        return !"graph".equals(System.getProperty(FORWARD_PROPERTY, "fused"));
    }

    /** This model's fused forward (its buffers), made on first use. */
    private FusedForward fused() {
        if (fused == null) {
            fused = FusedForward.of(this);
        }
        return fused;
    }

    /**
     * The forward pass through the SameDiff graph of every row ({@link #graph()}; gradient calls run
     * {@link #trainingGraph()}, the same graph but for its last block), for parity tests and benchmarks.
     */
    public Forward forwardGraph(TokenBatch batch, boolean hiddenStates, boolean attention) {
        BertGraph.Built g = graph();
        ModelInputs inputs = ModelInputs.encode(batch, config, dtype, params, g.sd());
        if (!g.hasPooler()) {
            inputs.placeholders().remove(BertGraph.CLS_SELECT); // an encoder-only graph has no such placeholder
        }
        inputs.bind(g.sd());
        List<String> wanted = new ArrayList<>();
        wanted.add(g.finalHidden());
        if (g.hasPooler()) {
            wanted.add(BertGraph.POOLED_OUTPUT);
        }
        if (g.hasClassifier()) {
            wanted.add(BertGraph.LOGITS);
        }
        int[] liveLayers = liveLayers();
        if (hiddenStates) {
            wanted.add(BertGraph.EMBEDDINGS_OUTPUT);
            for (int l : liveLayers) {
                wanted.add(BertGraph.hiddenName(l));
            }
        }
        if (attention) {
            for (int l : liveLayers) {
                wanted.add(BertGraph.attentionName(l));
            }
        }
        Map<String, INDArray> out;
        try {
            out = g.sd().output(inputs.placeholders(), wanted.stream().distinct().toList());
        } finally {
            // The session's array cache would otherwise keep up to a quarter of ND4J's memory
            // limit per graph and thread (ArrayCacheMemoryMgr's default) for as long as the graph lives.
            GradientCalls.closeSession(g.sd());
        }
        int b = batch.batchSize();
        int s = batch.seqLen();
        Map<Integer, INDArray> hidden = new LinkedHashMap<>();
        Map<Integer, INDArray> probs = new LinkedHashMap<>();
        for (int l : liveLayers) {
            if (hiddenStates) {
                hidden.put(l, out.get(BertGraph.hiddenName(l)).reshape(b, s, config.hiddenSize()));
            }
            if (attention) {
                probs.put(l, out.get(BertGraph.attentionName(l)));
            }
        }
        return new Forward(out.get(g.finalHidden()).reshape(b, s, config.hiddenSize()),
                out.get(BertGraph.POOLED_OUTPUT), out.get(BertGraph.LOGITS),
                hiddenStates ? out.get(BertGraph.EMBEDDINGS_OUTPUT).reshape(b, s, config.hiddenSize()) : null,
                Collections.unmodifiableMap(hidden), Collections.unmodifiableMap(probs));
    }

    /**
     * Turns packing of gradient calls on or off for the whole JVM (A/B timings, tests); null goes
     * back to {@code -Dlayerfuse.train.pack} (default on). Packed, a gradient call feeds the
     * training graph each sequence's real tokens alone, end to end ({@link PackedRows}: padding
     * left out, as {@link #forwardPacked} does), where the batch's masks are ones then zeros and
     * that saves rows; the graph's row-wise ops then compute no padding, and its attention op
     * reads the layout from the mask. Padding's rows get no gradient either way (their keys have
     * probability 0 and nothing reads them), so the loss and gradients are the padded call's
     * within float rounding. Where the graph runs libnd4j's attention instead of the Java ops
     * ({@code JavaOps.available()} false), calls are never packed.
     */
    public static void packTraining(Boolean on) {
        packTraining = on != null ? on : PACK_TRAINING_BY_PROPERTY;
    }

    /** Whether gradient calls pack their batches: turned on, and the graph runs the Java attention op. */
    private static boolean packsTraining() {
        return packTraining && JavaOps.available();
    }

    /** Cross-entropy loss and its gradient for every live parameter. */
    public Gradients gradients(TokenBatch batch, int[] labels) {
        return gradients(batch, labels, null, 1.0, 1.0);
    }

    /**
     * Cross-entropy loss and its gradient for the named parameters only (e.g. one layer's, for
     * a signal): the backward pass stops where no named parameter needs it, so the embedding
     * tables' gradients (MiniLM: 47 MB, half its parameters) are not made unless named. Each
     * gradient has the bits {@link #gradients(TokenBatch, int[])} gives it.
     *
     * @throws IllegalArgumentException for a name that is not a parameter of the live model
     */
    public Gradients gradients(TokenBatch batch, int[] labels, Collection<String> parameters) {
        return gradients(batch, labels, parameters, rowsPerCall(batch));
    }

    /** As {@link #gradients(TokenBatch, int[], Collection)}, at most {@code perCall} rows a call. */
    Gradients gradients(TokenBatch batch, int[] labels, Collection<String> parameters, int perCall) {
        Set<String> wanted = new LinkedHashSet<>(parameters);
        for (String name : wanted) {
            if (!params.containsKey(name) || (ParamNames.layerOf(name) >= 0 && !isLive(ParamNames.layerOf(name)))) {
                throw new IllegalArgumentException("no gradient for '" + name + "': not a parameter of the live model");
            }
        }
        return gradients(batch, labels, null, 1.0, 1.0, perCall, wanted);
    }

    /**
     * Loss α·CE + (1 − α)·T²·KL(softmax(teacher/T) ‖ softmax(z/T)) and its gradient for every
     * live parameter; {@code teacherLogits} may be null when α = 1.
     */
    public Gradients gradients(TokenBatch batch, int[] labels, INDArray teacherLogits, double alpha,
                               double temperature) {
        BertGraph.Built g = trainingGraph();
        if (!g.hasClassifier()) {
            throw new IllegalStateException("gradients need a classification head: use BertModel.forClassification");
        }
        if (alpha < 1.0 && teacherLogits == null) {
            throw new IllegalArgumentException("alpha = " + alpha + " < 1 needs teacher logits");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        return gradients(batch, labels, teacherLogits, alpha, temperature, rowsPerCall(batch), null);
    }

    /**
     * Rows a gradient call may take under the memory budget ({@link MicroBatches}): for a batch that
     * packs, by its packed rows' share per example (a 32 × 128 MiniLM batch of 679 real tokens is
     * one call, where padded it needs three).
     */
    private int rowsPerCall(TokenBatch batch) {
        PackedRows packed = packsTraining()
                ? PackedRows.of(ModelInputs.flatten(batch, config), config.attentionMaskValue()) : null;
        int tokensPerRow = packed == null ? batch.seqLen()
                : (packed.rows() + batch.batchSize() - 1) / batch.batchSize();
        return MicroBatches.rowsPerCall(MicroBatches.budget(),
                MicroBatches.rowBytes(config, liveCount(), batch.seqLen(), tokensPerRow, dtype.width()),
                batch.batchSize());
    }

    /** As {@link #gradients(TokenBatch, int[], INDArray, double, double)}, at most {@code perCall} rows a call. */
    Gradients gradients(TokenBatch batch, int[] labels, INDArray teacherLogits, double alpha, double temperature,
                        int perCall) {
        return gradients(batch, labels, teacherLogits, alpha, temperature, perCall, null);
    }

    /** As above, for the parameters in {@code wanted} only (null: all). */
    private Gradients gradients(TokenBatch batch, int[] labels, INDArray teacherLogits, double alpha,
                                double temperature, int perCall, Set<String> wanted) {
        dropPacks(null); // gradients come before updates: no forward may read the old weights' packs
        int rows = batch.batchSize();
        return perCall >= rows
                ? gradientsOf(batch, labels, teacherLogits, alpha, temperature, wanted)
                : accumulated(batch, labels, teacherLogits, alpha, temperature, MicroBatches.split(rows, perCall),
                        wanted);
    }

    /**
     * Gradient accumulation over row slices {@code [bounds[p], bounds[p+1])}: the loss is a mean
     * over rows, so the batch's loss and gradient are the slices' weighted by their share of rows.
     * Only one slice's intermediates are live at a time, plus one accumulated gradient set.
     */
    private Gradients accumulated(TokenBatch batch, int[] labels, INDArray teacherLogits, double alpha,
                                  double temperature, int[] bounds, Set<String> wanted) {
        int rows = batch.batchSize();
        Map<String, INDArray> sum = null;
        Map<String, RowSupport> written = new HashMap<>(); // the sums' supports: the parts' together
        INDArray[] logits = new INDArray[bounds.length - 1];
        double loss = 0;
        for (int p = 0; p + 1 < bounds.length; p++) {
            int from = bounds[p];
            int to = bounds[p + 1];
            INDArray teacher = teacherLogits == null ? null
                    : teacherLogits.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup();
            Gradients part = gradientsOf(batch.slice(from, to), Arrays.copyOfRange(labels, from, to),
                    teacher, alpha, temperature, wanted);
            if (teacher != null) {
                teacher.close();
            }
            double share = (double) (to - from) / rows;
            loss += share * part.loss();
            logits[p] = part.logits();
            part.rowSupport().forEach((name, support) -> written.merge(name, support, RowSupport::union));
            if (sum == null) {
                sum = new LinkedHashMap<>(part.byParameter());
                sum.values().forEach(g -> g.muli(share));
            } else {
                for (Map.Entry<String, INDArray> e : part.byParameter().entrySet()) {
                    sum.get(e.getKey()).addi(e.getValue().muli(share));
                }
                part.freeGradients();
            }
        }
        INDArray all = Nd4j.concat(0, logits);
        for (INDArray l : logits) {
            Gradients.freeArray(l);
        }
        return new Gradients(loss, all, Collections.unmodifiableMap(sum), written);
    }

    private Gradients gradientsOf(TokenBatch batch, int[] labels, INDArray teacherLogits, double alpha,
                                  double temperature, Set<String> wanted) {
        BertGraph.Built g = trainingGraph();
        ModelInputs inputs = ModelInputs.encode(batch, config, dtype, params, g.sd(), packsTraining());
        try {
            inputs.addLoss(labels, teacherLogits, alpha, temperature, config.numLabels(), dtype);
            inputs.bind(g.sd());
            List<String> wrt = new ArrayList<>();
            for (String name : g.trainable()) {
                if (wants(wanted, name)) {
                    wrt.add(name);
                }
            }
            boolean tables = wants(wanted, ParamNames.WORD_EMBEDDINGS) || wants(wanted, ParamNames.POSITION_EMBEDDINGS)
                    || wants(wanted, ParamNames.TOKEN_TYPE_EMBEDDINGS);
            if (tables) {
                wrt.add(BertGraph.EMBEDDINGS_SUM);
            }
            OutAndGrad result = GradientCalls.outputsAndGradients(g.sd(), inputs.placeholders(),
                    List.of(BertGraph.LOSS, BertGraph.LOGITS), wrt, pool);
            INDArray sumGrad = tables ? result.getGradients().get(BertGraph.EMBEDDINGS_SUM) : null;
            Map<String, INDArray> grads = new LinkedHashMap<>();
            Map<String, RowSupport> written = new HashMap<>();
            if (wants(wanted, ParamNames.WORD_EMBEDDINGS)) {
                grads.put(ParamNames.WORD_EMBEDDINGS,
                        EmbeddingLookup.tableGradient(sumGrad, inputs.ids(), config.vocabSize()));
                written.put(ParamNames.WORD_EMBEDDINGS, EmbeddingLookup.support(inputs.ids(), config.hiddenSize()));
            }
            if (wants(wanted, ParamNames.POSITION_EMBEDDINGS)) {
                grads.put(ParamNames.POSITION_EMBEDDINGS,
                        EmbeddingLookup.tableGradient(sumGrad, inputs.positions(), config.maxPositionEmbeddings()));
                written.put(ParamNames.POSITION_EMBEDDINGS,
                        EmbeddingLookup.support(inputs.positions(), config.hiddenSize()));
            }
            if (wants(wanted, ParamNames.TOKEN_TYPE_EMBEDDINGS)) {
                grads.put(ParamNames.TOKEN_TYPE_EMBEDDINGS,
                        EmbeddingLookup.tableGradient(sumGrad, inputs.types(), config.typeVocabSize()));
                written.put(ParamNames.TOKEN_TYPE_EMBEDDINGS, EmbeddingLookup.support(inputs.types(), config.hiddenSize()));
            }
            for (String name : g.trainable()) {
                if (wants(wanted, name)) {
                    grads.put(name, result.getGradients().get(name));
                }
            }
            INDArray lossArray = result.getOutputs().get(BertGraph.LOSS);
            double loss = lossArray.getDouble(0);
            // not returned: to the next call's results (a steady loop then allocates nothing)
            List<INDArray> spent = new ArrayList<>(2);
            if (sumGrad != null) {
                spent.add(sumGrad); // only the tables above are returned
            }
            spent.add(lossArray);
            pool.recycle(spent);
            return new Gradients(loss, result.getOutputs().get(BertGraph.LOGITS), Collections.unmodifiableMap(grads),
                    written);
        } finally {
            inputs.release(g.sd(), teacherLogits);
        }
    }

    /** Whether a gradient call for {@code wanted} (null: every parameter) returns {@code name}'s gradient. */
    private static boolean wants(Set<String> wanted, String name) {
        return wanted == null || wanted.contains(name);
    }

    /** A deep copy (own arrays, same live set), e.g. a frozen teacher. */
    public BertModel copy() {
        Map<String, INDArray> copy = new LinkedHashMap<>();
        params.forEach((k, v) -> copy.put(k, v.dup()));
        return new BertModel(config, copy, live.clone(), dtype);
    }

    /**
     * A model over the same parameter arrays (not copied) and the same live set, with its own
     * graph: for concurrent inference, one replica per thread, the weights in memory once. The
     * arrays are shared, so neither model may be trained or changed while the other is in use.
     */
    public BertModel replica() {
        return new BertModel(config, params, live.clone(), dtype, packSlot);
    }

    /**
     * The live model as plain weights: removed layers dropped and the rest renumbered
     * 0..k−1, with {@code num_hidden_layers = k} — what an exported, pruned model holds.
     */
    public BertWeights exportWeights() {
        int[] liveLayers = liveLayers();
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<Integer, Integer> renumber = new HashMap<>();
        for (int i = 0; i < liveLayers.length; i++) {
            renumber.put(liveLayers[i], i);
        }
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            int layer = ParamNames.layerOf(e.getKey());
            String name = e.getKey();
            if (layer >= 0) {
                Integer target = renumber.get(layer);
                if (target == null) {
                    continue;
                }
                name = ParamNames.layer(target) + name.substring(ParamNames.layer(layer).length());
            }
            INDArray a = e.getValue().castTo(DataType.FLOAT);
            out.put(name, new Tensor(a.shape(), a.dup('c').data().asFloat()));
        }
        return BertWeights.validated(config.withNumHiddenLayers(liveLayers.length), out, "exported model");
    }

    /**
     * The SameDiff instance of {@link #graph()} (for profiling and benchmarks; the gradient calls'
     * graph is {@code trainingGraph().sd()}).
     */
    public SameDiff sameDiff() {
        return graph().sd();
    }

    @Override
    public String toString() {
        return "BertModel[L=" + live.length + " live=" + liveCount() + " H=" + config.hiddenSize() + " A="
                + config.numAttentionHeads() + " labels=" + config.numLabels() + " " + dtype + "]";
    }
}
