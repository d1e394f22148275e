package org.layerfuse.bench.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.train.AdamW;
import org.layerfuse.bert.graph.PlanOpTimes;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Per-op wall time of one forward and one backward call of a {@link BertModel}: a SameDiff
 * listener timing each op from {@code preOpExecution} to {@code opExecution}, summed by op
 * type (matrix products also by output shape). The remainder of the call is SameDiff's own
 * bookkeeping (scheduling, output allocation), reported as "outside ops".
 */
public final class OpProfile extends BaseListener implements PlanOpTimes.Listener {

    private final Map<String, long[]> byOp = new TreeMap<>();
    private long start;

    @Override
    public boolean isActive(Operation operation) {
        return true;
    }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext ctx) {
        start = System.nanoTime();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
        long dt = System.nanoTime() - start;
        op(op.getOp().opName(), outputs.length > 0 && outputs[0] != null ? outputs[0].shape() : null, dt);
    }

    /** A planned call's op (the gradient calls run through a plan, which SameDiff's listeners never see). */
    @Override
    public synchronized void op(String opName, long[] shape, long nanos) {
        String name = opName;
        if (shape != null && (name.startsWith("matmul") || name.contains("dense") || name.contains("product")
                || name.contains("projections"))) {
            name += java.util.Arrays.toString(shape);
        }
        long[] s = byOp.computeIfAbsent(name, k -> new long[2]);
        s[0] += nanos;
        s[1]++;
    }

    /** A Markdown table of one forward and one backward (after {@code warmup} untimed calls of each). */
    static String profile(BertModel model, TokenBatch batch, int[] labels, int warmup) {
        return profile(model, batch, labels, warmup, 1);
    }

    /**
     * A Markdown table of the graph forward and of the gradient call, each timed over {@code calls}
     * calls after {@code warmup} untimed calls of each; per-call means.
     */
    static String profile(BertModel model, TokenBatch batch, int[] labels, int warmup, int calls) {
        // the step as TrainStepBench runs it (AdamW timed apart from the gradient call; the weights
        // move by a learning rate of 1e-5, as there)
        AdamW adam = new AdamW(AdamW.Hyper.defaults(), n -> !ParamNames.isBiasOrNorm(n));
        for (int i = 0; i < warmup; i++) {
            model.forwardGraph(batch, false, false); // the graph's ops: BertModel.forward is the fused path
            Gradients g = model.gradients(batch, labels);
            adam.step(model.parameters(), g, 1e-5);
            model.recycle(g); // as training does: the next call reuses the arrays
        }
        StringBuilder md = new StringBuilder();
        for (String mode : new String[] {"forward", "forward + backward (gradients)"}) {
            OpProfile p = new OpProfile();
            SameDiff sd = model.sameDiff();
            SameDiff grad = model.trainingGraph().sd().getFunction("grad"); // gradient calls run the training graph
            sd.setListeners(p);
            if (grad != null) {
                grad.setListeners(p);
            }
            PlanOpTimes.Listener before = PlanOpTimes.listen(p);
            long total = 0;
            long update = 0;
            try {
                for (int c = 0; c < calls; c++) {
                    long t = System.nanoTime();
                    if (mode.equals("forward")) {
                        model.forwardGraph(batch, false, false);
                    } else {
                        Gradients g = model.gradients(batch, labels);
                        total += System.nanoTime() - t;
                        long u = System.nanoTime();
                        adam.step(model.parameters(), g, 1e-5);
                        update += System.nanoTime() - u;
                        model.recycle(g);
                        continue;
                    }
                    total += System.nanoTime() - t;
                }
            } finally {
                PlanOpTimes.listen(before);
                sd.setListeners();
                if (grad != null) {
                    grad.setListeners();
                }
            }
            total /= calls;
            long ops = p.byOp.values().stream().mapToLong(v -> v[0]).sum() / calls;
            md.append(String.format(Locale.ROOT, "%n### %s: %.1f ms, of which ops %.1f ms, outside ops %.1f ms%s%n%n",
                    mode, total / 1e6, ops / 1e6, (total - ops) / 1e6, calls > 1 ? " (means of " + calls + " calls)" : ""));
            if (update > 0) {
                md.append(String.format(Locale.ROOT, "Then the AdamW update (as a training step runs it): %.1f ms.%n%n",
                        update / 1e6 / calls));
            }
            md.append("| op | calls | ms | % of call |\n|---|---:|---:|---:|\n");
            Map<String, long[]> sorted = new LinkedHashMap<>();
            p.byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            for (Map.Entry<String, long[]> e : sorted.entrySet()) {
                long ns = e.getValue()[0] / calls;
                if (ns < total / 200) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f%% |%n", e.getKey(), e.getValue()[1] / calls,
                        ns / 1e6, 100.0 * ns / total));
            }
        }
        return md.toString();
    }

    /**
     * Prints the profile of one model: {@code OpProfile [minilm|bert-base] [warm-up calls: 5]
     * [timed calls: 10] [padded|packed] [tokens: 32]} ({@code packed}: the gradient call on the real
     * tokens alone, as training runs it where a batch pads).
     */
    public static void main(String[] args) {
        BenchModels.StepArgs a = BenchModels.StepArgs.parse("OpProfile", "calls", args, 5, 10, 1);
        BertModel.packTraining(a.packed());
        PretrainedModels.Pretrained p = BenchModels.load(a.model());
        BertModel model = BenchModels.classifier(p);
        int[] labels = BenchModels.alternatingLabels(BenchModels.BATCH);
        System.out.println("# " + a.model() + ", batch " + BenchModels.BATCH + " × " + a.seq() + ", "
                + (a.packed() ? "packed" : "padded"));
        System.out.println(profile(model, BenchModels.sentences(p, BenchModels.BATCH, a.seq()), labels, a.warm(), a.timed()));
    }
}
