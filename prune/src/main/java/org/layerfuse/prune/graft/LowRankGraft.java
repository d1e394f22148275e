package org.layerfuse.prune.graft;

import java.util.SplittableRandom;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The learnable fusion of one matrix of a removed block p into the matching matrix of a live
 * block i (FuseGPT, eqs. 4–6), matrices stored {@code [in, out]}:
 * <pre>
 *   W'ᵢ = Wᵢ + (A·Bᵀ) ⊙ W_p,     A ∈ ℝ^{in×r}, B ∈ ℝ^{out×r}
 * </pre>
 * The coefficient matrix C = A·Bᵀ is a rank-r factorisation (r capped by in and out), so a
 * 384 × 1536 matrix learns 2·r·(in + out)/(in·out) of its size. A starts at 0, so the fused
 * block starts as the block itself, and B ~ U(−√(1/r), √(1/r)) (as LoRA starts its other factor
 * at zero, so the first gradient moves A). After training, {@link #foldInto} writes W'ᵢ into the
 * model and A and B are dropped: the model keeps plain BERT layers.
 *
 * @param target the live block's kernel name (Wᵢ)
 * @param source the removed block's kernel name (W_p)
 * @param a      {@code [in, r]}, trained in place
 * @param b      {@code [out, r]}, trained in place
 */
public record LowRankGraft(String target, String source, INDArray a, INDArray b) {

    public LowRankGraft {
        if (a.rank() != 2 || b.rank() != 2 || a.size(1) != b.size(1)) {
            throw new IllegalArgumentException("graft factors of " + target + " must be [in, r] and [out, r], got "
                    + java.util.Arrays.toString(a.shape()) + " and " + java.util.Arrays.toString(b.shape()));
        }
    }

    /** The rank actually used: {@code requested}, capped by the matrix dimensions. */
    public static int rank(int requested, long in, long out) {
        if (requested < 1) {
            throw new IllegalArgumentException("--graft-rank must be >= 1, got " + requested);
        }
        return (int) Math.min(requested, Math.min(in, out));
    }

    /** A = 0, B ~ U(−√(1/r), √(1/r)) for matrix {@code m} of {@code layer}, grafting from {@code removed}. */
    public static LowRankGraft initial(BertModel model, ParamNames.LayerMatrix m, int layer, int removed, int rank,
                                       SplittableRandom random) {
        long[] shape = m.kernelShape(model.config());
        int r = rank(rank, shape[0], shape[1]);
        double bound = Math.sqrt(1.0 / r);
        double[] b = new double[Math.toIntExact(shape[1] * r)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (2 * random.nextDouble() - 1) * bound;
        }
        return new LowRankGraft(m.kernel(layer), m.kernel(removed), Nd4j.zeros(model.dataType(), shape[0], r),
                Nd4j.create(b, new long[] {shape[1], r}, 'c').castTo(model.dataType()));
    }

    public int rank() {
        return (int) a.size(1);
    }

    /** C = A·Bᵀ, {@code [in, out]}. */
    public INDArray coefficients() {
        return a.mmul(b.transpose());
    }

    /** W + (A·Bᵀ) ⊙ W_p, a new array. */
    public INDArray fused(INDArray w, INDArray wp) {
        return coefficients().muli(wp).addi(w);
    }

    /** The same expression in a graph, so gradients flow to A and B (and W when it is a variable). */
    public static SDVariable fused(SameDiff sd, String name, SDVariable w, SDVariable a, SDVariable b, SDVariable wp) {
        return sd.linalg().mmul(a, b, false, true, false).mul(wp).add(name, w);
    }

    /** Writes W'ᵢ = Wᵢ + (A·Bᵀ) ⊙ W_p into the model's array of the target kernel. */
    public void foldInto(BertModel model) {
        INDArray w = model.parameter(target);
        w.assign(fused(w, model.parameter(source)));
    }
}
