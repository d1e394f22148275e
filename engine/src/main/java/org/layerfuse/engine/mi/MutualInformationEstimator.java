package org.layerfuse.engine.mi;

/**
 * Estimates mutual information from paired samples, in nats, for the paper's two MI signals
 * (§2.2.2): Task-Relevance MI I(A_l; y) (activations vs class labels) and Flow-Relevance MI
 * I(A_l; A_{l+1}) (activations of consecutive layers). Implementations differ in their
 * assumptions, bias and cost (see each class); high-dimensional activations are first
 * reduced by a {@link Projection}, which can only lose information (I(PX; QY) ≤ I(X; Y)).
 */
public interface MutualInformationEstimator {

    /** I(X; Y) for two continuous variables with the same number of rows (samples). */
    double mutualInformation(Samples x, Samples y);

    /** I(X; y) for a continuous X and discrete class labels y (one per row, >= 0). */
    double mutualInformation(Samples x, int[] labels);
}
