package org.layerfuse.engine.mi;

/**
 * Reduces n × d samples to n × k before an MI estimate (kNN and Gaussian estimators need
 * k ≪ n; d is 384–768 for BERT-family activations). Deterministic: the same input gives the
 * same output, so two layers of the same width are projected alike.
 */
public interface Projection {

    Samples apply(Samples x);

    /** No reduction. */
    static Projection identity() {
        return x -> x;
    }
}
