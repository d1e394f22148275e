package org.layerfuse.engine.mi;

import java.util.Objects;

/**
 * Mutual information of jointly Gaussian variables, from sample covariances (after the
 * projection):
 * <ul>
 *   <li>continuous: I(X; Y) = ½ [log det Σ_X + log det Σ_Y − log det Σ_XY], Σ_XY the joint
 *       covariance of [X | Y]; exact for Gaussians (−½ log(1 − ρ²) per correlated pair), a
 *       lower bound on the MI of any variables with these covariances (the Gaussian
 *       channel is the worst case), blind to non-linear dependence;</li>
 *   <li>vs labels: I(X; y) = H(X) − Σ_c p_c H(X | y = c) with Gaussian entropies
 *       H = ½ log det(2πe Σ), i.e. ½ [log det Σ − Σ_c p_c log det Σ_c]. Class-conditional
 *       Gaussians make H(X|y) exact, but the mixture X has less entropy than the Gaussian
 *       of its covariance, so this over-estimates (it may even exceed H(y) ≤ log C).</li>
 * </ul>
 * A ridge λ = {@code ridge}·tr(Σ)/k is added to every diagonal (Σ of all of Z = [X|Y] or of
 * X) so that near-singular covariances (n ≲ k, duplicated layers) stay finite; it caps the
 * estimate near ½ k log(1/ridge). Sample covariances bias the estimate up by about
 * k_x·k_y / (2n) nats for independent variables; classes need n_c ≫ k samples.
 * Cost: O(n k²) for covariances + O(k³) Cholesky, after the projection.
 */
public record GaussianMutualInformation(Projection projection, double ridge) implements MutualInformationEstimator {

    public GaussianMutualInformation {
        Objects.requireNonNull(projection, "projection");
        if (!(ridge >= 0) || Double.isInfinite(ridge)) {
            throw new IllegalArgumentException("GaussianMutualInformation: ridge must be finite and >= 0, got " + ridge);
        }
    }

    /** Random projection to 16 dimensions (seed 42), ridge 1e-6. */
    public GaussianMutualInformation() {
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
        double lambda = ridge * Covariance.trace(joint) / k;
        double mi = 0.5 * (Covariance.logDet(Covariance.block(joint, 0, kx), lambda)
                + Covariance.logDet(Covariance.block(joint, kx, k), lambda)
                - Covariance.logDet(joint, lambda));
        return Math.max(0, mi); // ≥ 0 by Fischer's inequality; clamps round-off only
    }

    @Override
    public double mutualInformation(Samples x, int[] labels) {
        Samples.requireLabels(x, labels);
        Samples px = projection.apply(x);
        double[][] total = Covariance.of(px);
        double lambda = ridge * Covariance.trace(total) / total.length;
        int[] counts = ClassCounts.of(labels);
        double conditional = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] == 0) {
                continue;
            }
            if (counts[c] < 2) {
                throw new IllegalArgumentException("GaussianMutualInformation: class " + c + " has " + counts[c]
                        + " sample; a class covariance needs at least 2 (and many more than the " + px.cols()
                        + " projected dimensions)");
            }
            conditional += (double) counts[c] / labels.length * Covariance.logDet(Covariance.of(px, labels, c), lambda);
        }
        return 0.5 * (Covariance.logDet(total, lambda) - conditional);
    }
}
