package org.layerfuse.engine.mi;

import java.util.SplittableRandom;
import org.layerfuse.engine.kernels.VectorKernels;

/**
 * x ↦ R x with a fixed Gaussian matrix R ∈ ℝ^{k×d}, R_ij ~ N(0, 1/k) drawn from {@code seed}
 * (Johnson–Lindenstrauss: distances kept within 1 ± O(√(log n / k))). Data-independent, O(n·d·k),
 * and the same R for every input of width d, so two layers are projected alike. Inputs with
 * d ≤ k are returned unchanged. It spreads variance evenly, so a few large directions (BERT's
 * outlier dimensions) dominate every output; {@link PcaProjection} keeps the top-variance ones.
 */
public record RandomProjection(int k, long seed) implements Projection {

    public RandomProjection {
        if (k <= 0) {
            throw new IllegalArgumentException("RandomProjection: k must be > 0, got " + k);
        }
    }

    @Override
    public Samples apply(Samples x) {
        int d = x.cols();
        if (d <= k) {
            return x;
        }
        float[] r = matrix(d);
        float[] out = new float[x.rows() * k];
        for (int i = 0; i < x.rows(); i++) {
            for (int c = 0; c < k; c++) {
                out[i * k + c] = (float) VectorKernels.dot(x.values(), i * d, r, c * d, d);
            }
        }
        return new Samples(out, x.rows(), k);
    }

    /** R row-major [k][d]. */
    float[] matrix(int d) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] r = new float[k * d];
        double scale = 1 / Math.sqrt(k);
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) (scale * Gaussians.next(random));
        }
        return r;
    }
}
