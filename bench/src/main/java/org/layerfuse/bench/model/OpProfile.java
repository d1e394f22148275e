package org.layerfuse.bench.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
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
final class OpProfile extends BaseListener {

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
        String name = op.getOp().opName();
        if (name.startsWith("matmul") && outputs.length > 0 && outputs[0] != null) {
            name += java.util.Arrays.toString(outputs[0].shape());
        }
        long[] s = byOp.computeIfAbsent(name, k -> new long[2]);
        s[0] += dt;
        s[1]++;
    }

    /** A Markdown table of one forward and one backward (after {@code warmup} untimed calls of each). */
    static String profile(BertModel model, TokenBatch batch, int[] labels, int warmup) {
        for (int i = 0; i < warmup; i++) {
            model.forwardGraph(batch, false, false); // the graph's ops: BertModel.forward is the fused path
            model.gradients(batch, labels);
        }
        StringBuilder md = new StringBuilder();
        for (String mode : new String[] {"forward", "forward + backward (gradients)"}) {
            OpProfile p = new OpProfile();
            SameDiff sd = model.sameDiff();
            SameDiff grad = sd.getFunction("grad");
            sd.setListeners(p);
            if (grad != null) {
                grad.setListeners(p);
            }
            long t = System.nanoTime();
            if (mode.equals("forward")) {
                model.forwardGraph(batch, false, false);
            } else {
                model.gradients(batch, labels);
            }
            long total = System.nanoTime() - t;
            sd.setListeners();
            if (grad != null) {
                grad.setListeners();
            }
            long ops = p.byOp.values().stream().mapToLong(v -> v[0]).sum();
            md.append(String.format(Locale.ROOT, "%n### %s: %.0f ms, of which ops %.0f ms, outside ops %.0f ms%n%n",
                    mode, total / 1e6, ops / 1e6, (total - ops) / 1e6));
            md.append("| op | calls | ms | % of call |\n|---|---:|---:|---:|\n");
            Map<String, long[]> sorted = new LinkedHashMap<>();
            p.byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            for (Map.Entry<String, long[]> e : sorted.entrySet()) {
                if (e.getValue()[0] < total / 200) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f%% |%n", e.getKey(), e.getValue()[1],
                        e.getValue()[0] / 1e6, 100.0 * e.getValue()[0] / total));
            }
        }
        return md.toString();
    }
}
