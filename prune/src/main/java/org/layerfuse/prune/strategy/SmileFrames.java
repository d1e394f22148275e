package org.layerfuse.prune.strategy;

import smile.data.DataFrame;
import smile.data.formula.Formula;
import smile.data.vector.DoubleVector;

/** Builds Smile data frames for the fusion regressors: feature columns x0..xk−1 and target y. */
final class SmileFrames {

    static final Formula TARGET = Formula.lhs("y");

    private SmileFrames() {
    }

    static DataFrame features(double[][] x) {
        int k = x.length == 0 ? 0 : x[0].length;
        String[] names = new String[k];
        for (int j = 0; j < k; j++) {
            names[j] = "x" + j;
        }
        return DataFrame.of(x, names);
    }

    static DataFrame training(double[][] x, double[] y) {
        return features(x).merge(DoubleVector.of("y", y));
    }
}
