package org.layerfuse.engine.mi;

import java.util.Objects;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * The paper's own proxy for Flow-Relevance MI (§2.2.2): I(A_l; A_{l+1}) ≈ Var(A_l) −
 * Var(A_l | A_{l+1}), the total variance of X explained by the best linear predictor from Y:
 * tr Σ_X − tr Σ_{X|Y} = tr(Σ_XY (Σ_Y + λI)⁻¹ Σ_YX); against labels, the between-class variance
 * tr Σ_X − Σ_c p_c tr Σ_{X|c}. <b>Units are those of variance, not nats</b>: it grows with the
 * scale of the activations (ρ² for unit-variance scalars with correlation ρ, while the MI is
 * −½ log(1 − ρ²)). λ = {@code ridge}·tr(Σ_Y)/k_y. Cost O(n k²) + O(k³) after the projection.
 */
public record VarianceReduction(Projection projection, double ridge) implements MutualInformationEstimator {

    public VarianceReduction {
        Objects.requireNonNull(projection, "projection");
        if (!(ridge >= 0) || Double.isInfinite(ridge)) {
            throw new IllegalArgumentException("VarianceReduction: ridge must be finite and >= 0, got " + ridge);
        }
    }

    /** Random projection to 16 dimensions (seed 42), ridge 1e-6. */
    public VarianceReduction() {
        this(new RandomProjection(16, 42), 1e-6);
    }

    @Override
    public double mutualInformation(Samples x, Samples y) {
        Samples.requireSameRows(x, y);
        Samples px = projection.apply(x);
        Samples py = projection.apply(y);
        double[][] joint = Covariance.of(Samples.concat(px, py));
        int kx = px.cols();
        int k = joint.length;
        double[][] syy = Covariance.block(joint, kx, k);
        double lambda = ridge * Covariance.trace(syy) / (k - kx);
        for (int i = 0; i < syy.length; i++) {
            syy[i][i] += lambda;
        }
        double[][] syx = new double[k - kx][kx];
        for (int i = kx; i < k; i++) {
            System.arraycopy(joint[i], 0, syx[i - kx], 0, kx);
        }
        RealMatrix cross = new Array2DRowRealMatrix(syx, false);
        RealMatrix solved = new CholeskyDecomposition(new Array2DRowRealMatrix(syy, false), 1e-12, 0).getSolver().solve(cross);
        return cross.transpose().multiply(solved).getTrace();
    }

    @Override
    public double mutualInformation(Samples x, int[] labels) {
        Samples.requireLabels(x, labels);
        Samples px = projection.apply(x);
        int[] counts = ClassCounts.of(labels);
        double within = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] > 0) {
                within += (double) counts[c] / labels.length * Covariance.trace(Covariance.of(px, labels, c));
            }
        }
        return Covariance.trace(Covariance.of(px)) - within;
    }
}
