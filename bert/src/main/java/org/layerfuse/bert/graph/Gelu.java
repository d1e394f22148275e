package org.layerfuse.bert.graph;

import org.layerfuse.bert.Activation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The FFN activation, written out so that each checkpoint's own form is reproduced exactly:
 * exact GELU ½x(1 + erf(x/√2)), the tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))), or ReLU.
 */
final class Gelu {

    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private Gelu() {
    }

    static SDVariable apply(SameDiff sd, String name, SDVariable x, Activation activation) {
        return switch (activation) {
            case GELU_ERF -> sd.math().erf(x.mul(SQRT_HALF)).add(1.0).mul(x).mul(name, 0.5);
            case GELU_TANH -> {
                SDVariable inner = x.add(sd.math().cube(x).mul(0.044715)).mul(SQRT_2_OVER_PI);
                yield sd.math().tanh(inner).add(1.0).mul(x).mul(name, 0.5);
            }
            case RELU -> sd.nn().relu(name, x, 0.0);
        };
    }
}
