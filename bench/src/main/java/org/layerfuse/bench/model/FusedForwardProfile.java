package org.layerfuse.bench.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.layerfuse.bert.BertModel;
import org.layerfuse.engine.fused.DnnlAttention;
import org.layerfuse.engine.fused.Gemm;
import org.layerfuse.engine.fused.GemmRoute;
import org.layerfuse.engine.fused.PackedMatrix;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.tf.EasyBertArchive;
import org.layerfuse.weights.onnx.OnnxRuntimeEncoder;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the fused forward's time goes, measured in one JVM with the candidates interleaved
 * round by round in a fresh random order each round (so a noisy, shared machine slows them
 * alike and none always runs right after another, e.g. after ONNX Runtime's spinning threads):
 * the fused forward, the same forward with its products through ND4J's matmul op instead of
 * oneDNN's matmul called directly, the same forward with attention on the per-sequence
 * Vector-API kernel instead of oneDNN's batched products, the forward on the real tokens alone
 * ({@code BertModel.forwardPacked}: padding not computed), both forwards with the weights packed
 * once ({@code BertModel.packWeights}, on a copy of the model), the 6·L GEMMs alone into preallocated
 * outputs (the plan's floor) called directly and on each {@link GemmRoute} through ND4J's op,
 * the SameDiff graph and, for MiniLM, ONNX Runtime. Prints the median (and best) of each.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.FusedForwardProfile \
 *     minilm 32 15 [graph: true|false] [batch: 32]
 * </pre>
 * A small batch (e.g. 1) times one request's latency: the products then read every weight for
 * a few rows, and the "GEMMs alone" line says how much of the forward that reading is.
 */
public final class FusedForwardProfile {

    private FusedForwardProfile() {
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "minilm";
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        boolean graph = args.length <= 3 || Boolean.parseBoolean(args[3]);
        int examples = args.length > 4 ? Integer.parseInt(args[4]) : BenchModels.BATCH;
        if (examples < 1 || seq < 1 || rounds < 1) {
            throw new IllegalArgumentException("FusedForwardProfile: batch, tokens and rounds must be positive, "
                    + "got batch " + examples + ", tokens " + seq + ", rounds " + rounds);
        }
        PretrainedModels.Pretrained p = BenchModels.load(name);
        BertModel model = BenchModels.classifier(p);
        TokenBatch batch = BenchModels.sentences(p, examples, seq);
        List<String> names = new ArrayList<>();
        List<Supplier<Object>> runs = new ArrayList<>();
        names.add("fused forward");
        runs.add(() -> model.forward(batch));
        names.add("fused, ND4J's op");
        runs.add(() -> throughOp(() -> model.forward(batch)));
        names.add("fused, attention per sequence");
        runs.add(() -> {
            DnnlAttention.use(false);
            try {
                return model.forward(batch);
            } finally {
                DnnlAttention.use(null);
            }
        });
        names.add("real tokens alone (packed)");
        runs.add(() -> model.forwardPacked(batch));
        BertModel prepacked = model.copy(); // its own arrays: the packs are its alone
        prepacked.packWeights();
        names.add("fused, weights prepacked");
        runs.add(() -> prepacked.forward(batch));
        names.add("packed, weights prepacked");
        runs.add(() -> prepacked.forwardPacked(batch));
        Runnable gemms = gemmsAlone(model, examples * seq);
        names.add("GEMMs alone, oneDNN direct");
        runs.add(() -> {
            gemms.run();
            return null;
        });
        Runnable packedGemms = gemmsAlonePacked(model, examples * seq);
        if (packedGemms != null) {
            names.add("GEMMs alone, prepacked");
            runs.add(() -> {
                packedGemms.run();
                return null;
            });
        }
        for (GemmRoute.Route route : GemmRoute.Route.values()) {
            names.add("GEMMs alone, " + route + (route == GemmRoute.Route.ONEDNN ? " op" : ""));
            runs.add(() -> throughOp(() -> GemmRoute.run(route, () -> {
                gemms.run();
                return null;
            })));
        }
        if (graph) {
            names.add("SameDiff graph");
            runs.add(() -> model.forwardGraph(batch, false, false));
        }
        OnnxRuntimeEncoder ort = name.equals("minilm") ? new OnnxRuntimeEncoder(p.onnxFile(), Integer.getInteger("layerfuse.threads", 2)) : null;
        if (ort != null) {
            names.add("ONNX Runtime");
            runs.add(() -> ort.lastHiddenState(batch));
        }
        double[][] ms = new double[runs.size()][rounds];
        boolean[][] afterOrt = new boolean[runs.size()][rounds];
        java.util.Random shuffle = new java.util.Random(42);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            order.add(i);
        }
        for (int r = -3; r < rounds; r++) {
            // a fresh order each round: no candidate always follows ONNX Runtime's spinning threads
            java.util.Collections.shuffle(order, shuffle);
            int previous = -1;
            for (int i : order) {
                long t0 = System.nanoTime();
                runs.get(i).get();
                double t = (System.nanoTime() - t0) / 1e6;
                if (r >= 0) {
                    ms[i][r] = t;
                    afterOrt[i][r] = ort != null && previous == runs.size() - 1;
                }
                previous = i;
            }
        }
        System.out.printf(Locale.ROOT, "%s, batch %d x %d, %d rounds, medians (min):%n", name, examples, seq,
                rounds);
        for (int i = 0; i < runs.size(); i++) {
            double[] s = ms[i].clone();
            java.util.Arrays.sort(s);
            System.out.printf(Locale.ROOT, "  %-30s %8.2f ms  (%.2f)%s%n", names.get(i), s[s.length / 2], s[0],
                    afterOrtNote(ms[i], afterOrt[i]));
        }
        if (ort != null) {
            ort.close();
        }
        if (name.equals("bert-base")) {
            tfJava(model, batch, rounds);
        }
    }

    /**
     * For a candidate that ran right after ONNX Runtime in some rounds (whose worker threads
     * keep spinning for a while after its call): its median in those rounds and in the others.
     */
    private static String afterOrtNote(double[] ms, boolean[] afterOrt) {
        int after = 0;
        for (boolean a : afterOrt) {
            after += a ? 1 : 0;
        }
        if (after == 0 || after == ms.length) {
            return "";
        }
        return String.format(Locale.ROOT, "  right after ONNX Runtime %.2f ms (%d rounds), otherwise %.2f ms",
                BenchModels.medianWhere(ms, afterOrt, true), after, BenchModels.medianWhere(ms, afterOrt, false));
    }

    /**
     * TF Java on the same batch, in its own JVM (it cannot share one with ND4J), bracketed by
     * our fused forward before and after so a change of the machine's load shows.
     */
    private static void tfJava(BertModel model, TokenBatch batch, int rounds) {
        try {
            double before = medianFused(model, batch, rounds);
            TfJavaTiming.Timing tf = TfJavaTiming.run(Path.of("..").toAbsolutePath().normalize(),
                    EasyBertArchive.savedModelDir(), batch, Integer.getInteger("layerfuse.threads", 2), rounds);
            double after = medianFused(model, batch, rounds);
            System.out.printf(Locale.ROOT, "  TF Java          %8.1f ms  (%.1f); fused just before %.1f, just after %.1f%n",
                    tf.medianMs(), tf.minMs(), before, after);
        } catch (Exception e) {
            System.out.println("  TF Java not run: " + e.getMessage());
        }
    }

    private static double medianFused(BertModel model, TokenBatch batch, int rounds) {
        double[] t = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            model.forward(batch);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[rounds / 2];
    }

    /** Runs {@code body} with every product through ND4J's matmul op (not oneDNN's matmul called directly). */
    private static Object throughOp(Supplier<Object> body) {
        Gemm.useDirect(false);
        try {
            return body.get();
        } finally {
            Gemm.useDirect(null);
        }
    }

    /**
     * The plan's six GEMMs per live layer against weights packed once ({@link PackedMatrix}, as
     * {@code BertModel.packWeights} packs them), into outputs allocated once; null where nothing
     * packs (float64, no oneDNN). The like of ONNX Runtime's MatMul time: it prepacks a session's weights.
     */
    private static Runnable gemmsAlonePacked(BertModel model, int tokens) {
        int h = model.config().hiddenSize();
        INDArray x = Nd4j.rand(model.dataType(), tokens, h);
        INDArray out = Nd4j.create(model.dataType(), tokens, h);
        INDArray inter = Nd4j.create(model.dataType(), tokens, model.config().intermediateSize());
        List<PackedMatrix[]> layers = new ArrayList<>();
        for (int l : model.liveLayers()) {
            PackedMatrix[] packs = new PackedMatrix[ParamNames.LayerMatrix.values().length];
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                packs[m.ordinal()] = PackedMatrix.pack(model.parameter(m.kernel(l)));
                if (packs[m.ordinal()] == null) {
                    return null;
                }
            }
            layers.add(packs);
        }
        return () -> {
            for (PackedMatrix[] packs : layers) {
                for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                    boolean wide = m == ParamNames.LayerMatrix.INTERMEDIATE;
                    boolean fromWide = m == ParamNames.LayerMatrix.OUTPUT;
                    if (!packs[m.ordinal()].gemm(fromWide ? inter : x, null, wide ? inter : out)) {
                        throw new IllegalStateException("the pack of " + m + " refused its product");
                    }
                }
            }
        };
    }

    /** The plan's six GEMMs per live layer, into outputs allocated once (through {@link Gemm}, as the plan's). */
    private static Runnable gemmsAlone(BertModel model, int tokens) {
        int h = model.config().hiddenSize();
        INDArray x = Nd4j.rand(model.dataType(), tokens, h);
        INDArray out = Nd4j.create(model.dataType(), tokens, h);
        INDArray inter = Nd4j.create(model.dataType(), tokens, model.config().intermediateSize());
        int[] live = model.liveLayers();
        return () -> {
            for (int l : live) {
                for (ParamNames.LayerMatrix m : List.of(ParamNames.LayerMatrix.QUERY, ParamNames.LayerMatrix.KEY,
                        ParamNames.LayerMatrix.VALUE, ParamNames.LayerMatrix.ATTENTION_OUTPUT)) {
                    Gemm.gemm(x, model.parameter(m.kernel(l)), out, false, false, 1.0, 0.0);
                }
                Gemm.gemm(x, model.parameter(ParamNames.LayerMatrix.INTERMEDIATE.kernel(l)), inter, false, false, 1.0, 0.0);
                Gemm.gemm(inter, model.parameter(ParamNames.LayerMatrix.OUTPUT.kernel(l)), out, false, false, 1.0, 0.0);
            }
        };
    }
}
