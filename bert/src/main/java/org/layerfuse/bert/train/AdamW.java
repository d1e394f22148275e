package org.layerfuse.bert.train;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.layerfuse.bert.Gradients;
import org.layerfuse.engine.kernels.AdamWKernel;
import org.layerfuse.engine.kernels.NdBuffers;
import org.layerfuse.engine.kernels.RowSupport;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter), as PyTorch's {@code AdamW}:
 * <pre>
 *   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *   θ ← θ·(1 − lr·λ)               (only parameters that take decay)
 *   θ ← θ − lr · m̂ / (√v̂ + ε),    m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ)
 * </pre>
 * Gradients are first scaled so their global L2 norm is at most {@code maxGradNorm}
 * (PyTorch's {@code clip_grad_norm_}: factor maxNorm/(norm + 1e−6) when it is below 1).
 * The state (m, v, step) can be saved and restored for exact resumption.
 *
 * <p>Float32 parameters on the CPU are updated by the fused {@link AdamWKernel} (one pass
 * over memory); other types (float64 in gradient checks) and devices use ND4J ops. The kernel
 * skips segments whose moments are still zero and whose gradient is zero (the rows of an
 * embedding table no batch has read yet): the same bits, a fraction of the memory traffic. Told
 * which rows of a gradient were written ({@link #step(Map, Gradients, double)}: an embedding table's
 * {@link RowSupport}), the norm and the update leave the rest of it unread, with the same bits.
 * The moments returned by {@link #state()} are the optimizer's own arrays: read them, do not
 * write them.
 */
public final class AdamW {

    /** Hyper-parameters; {@code maxGradNorm <= 0} disables clipping. */
    public record Hyper(double beta1, double beta2, double epsilon, double weightDecay, double maxGradNorm) {
        public Hyper {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(epsilon > 0) || weightDecay < 0) {
                throw new IllegalArgumentException("need epsilon > 0 and weight decay >= 0");
            }
        }

        public static Hyper defaults() {
            return new Hyper(0.9, 0.999, 1e-8, 0.01, 1.0);
        }
    }

    private final Hyper hyper;
    private final Predicate<String> decays;
    private final Map<String, INDArray> m = new LinkedHashMap<>();
    private final Map<String, INDArray> v = new LinkedHashMap<>();
    /** Per float32 parameter, which segments of m and v are known +0 ({@link AdamWKernel#update} skips them). */
    private final Map<String, boolean[]> zeroMoments = new HashMap<>();
    private long step;

    /** @param decays which parameter names take weight decay (e.g. not biases and layer norms) */
    public AdamW(Hyper hyper, Predicate<String> decays) {
        this.hyper = hyper;
        this.decays = decays;
    }

    /**
     * One update of {@code params} in place.
     *
     * @return the global gradient norm before clipping
     */
    public double step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
        return step(params, grads, lr, Map.of());
    }

    /**
     * One update from a gradient call's result: {@link Gradients#byParameter()}, with {@link
     * Gradients#rowSupport()} telling which rows of the embedding tables' gradients were written.
     *
     * @return the global gradient norm before clipping
     */
    public double step(Map<String, INDArray> params, Gradients gradients, double lr) {
        return step(params, gradients.byParameter(), lr, gradients.rowSupport());
    }

    /**
     * {@link #step(Map, Map, double)} where {@code support} names, for some gradients, the only
     * rows that may differ from +0 (see {@link RowSupport}): the rest of those gradients is not
     * read, for the norm or for the update (float32 parameters on the CPU), with the same result
     * bits.
     *
     * @return the global gradient norm before clipping
     */
    public double step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr,
                       Map<String, RowSupport> support) {
        double sq = 0;
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            INDArray g = e.getValue();
            if (g.dataType() == DataType.FLOAT) {
                sq += AdamWKernel.sumSquares(NdBuffers.floatView(g), supportOf(support, e.getKey(), g));
            } else {
                double n = g.norm2Number().doubleValue();
                sq += n * n;
            }
        }
        double norm = Math.sqrt(sq);
        double clip = hyper.maxGradNorm() > 0 && norm > hyper.maxGradNorm() ? hyper.maxGradNorm() / (norm + 1e-6) : 1.0;
        step++;
        double b1 = hyper.beta1();
        double b2 = hyper.beta2();
        double correction1 = 1 - Math.pow(b1, step);
        double correction2 = 1 - Math.pow(b2, step);
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String name = e.getKey();
            INDArray p = e.getValue();
            INDArray g = grads.get(name);
            if (g == null) {
                throw new IllegalArgumentException("no gradient for parameter '" + name + "'");
            }
            boolean fresh = !m.containsKey(name) && !v.containsKey(name);
            INDArray mi = m.computeIfAbsent(name, k -> p.like());
            INDArray vi = v.computeIfAbsent(name, k -> p.like());
            boolean decay = hyper.weightDecay() > 0 && decays.test(name);
            AdamWKernel.Step s = new AdamWKernel.Step((float) clip, (float) b1, (float) b2, (float) correction1,
                    (float) correction2, (float) lr, (float) hyper.epsilon(),
                    decay ? (float) (lr * hyper.weightDecay()) : 0f);
            if (p.dataType() == DataType.FLOAT) {
                boolean[] zero = zeroMoments.get(name);
                int segments = AdamWKernel.segments(p.length());
                if (zero == null || zero.length != segments) {
                    if (fresh) {
                        zero = new boolean[segments];
                        Arrays.fill(zero, true); // p.like() is zeros
                    } else if (mi.length() == p.length() && vi.length() == p.length()) {
                        zero = AdamWKernel.zeroSegments(mi, vi); // restored moments
                    } else {
                        zero = new boolean[segments]; // the kernel refuses the lengths: nothing claimed
                    }
                    zeroMoments.put(name, zero);
                }
                if (AdamWKernel.update(p, g, mi, vi, s, zero, supportOf(support, name, g))) {
                    continue;
                }
                zeroMoments.remove(name); // the ND4J ops below write m and v everywhere
            }
            INDArray gc = clip == 1.0 ? g : g.mul(clip);
            mi.muli(b1).addi(gc.mul(1 - b1));
            vi.muli(b2).addi(gc.mul(gc).muli(1 - b2));
            if (decay) {
                p.muli(1 - lr * hyper.weightDecay());
            }
            INDArray denominator = Transforms.sqrt(vi.div(correction2), false).addi(hyper.epsilon());
            p.subi(mi.div(denominator).muli(lr / correction1));
        }
        return norm;
    }

    /** The support claimed for {@code name}'s gradient, checked against its shape; null where none is. */
    private static RowSupport supportOf(Map<String, RowSupport> support, String name, INDArray g) {
        RowSupport rows = support.get(name);
        if (rows != null && (g.rank() != 2 || !rows.fits(g.rows(), g.columns()))) {
            throw new IllegalArgumentException("row support for '" + name + "' (" + rows + ", up to row "
                    + (rows.end() / rows.rowLength() - 1) + ") does not fit its gradient of shape "
                    + Arrays.toString(g.shape()));
        }
        return rows;
    }

    /**
     * Frees the moment arrays now (native memory twice the parameters' size) instead of leaving
     * them to the garbage collector; the optimizer starts from zero moments if it steps again.
     */
    public void free() {
        for (Map<String, INDArray> moments : List.of(m, v)) {
            moments.values().forEach(a -> {
                if (a.closeable()) {
                    a.close();
                }
            });
            moments.clear();
        }
        zeroMoments.clear();
    }

    public long stepCount() {
        return step;
    }

    public Hyper hyper() {
        return hyper;
    }

    /** The first and second moment arrays by parameter name, prefixed "m:" and "v:" (for checkpoints). */
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        m.forEach((k, a) -> out.put("m:" + k, a));
        v.forEach((k, a) -> out.put("v:" + k, a));
        return out;
    }

    /** Restores moments and step count saved by {@link #state()} and {@link #stepCount()}. */
    public void restore(Map<String, INDArray> state, long steps) {
        m.clear();
        v.clear();
        zeroMoments.clear(); // found again from the restored moments
        state.forEach((k, a) -> {
            if (k.startsWith("m:")) {
                m.put(k.substring(2), a);
            } else if (k.startsWith("v:")) {
                v.put(k.substring(2), a);
            } else {
                throw new IllegalArgumentException("optimizer state entry '" + k + "' is neither m: nor v:");
            }
        });
        this.step = steps;
    }
}
