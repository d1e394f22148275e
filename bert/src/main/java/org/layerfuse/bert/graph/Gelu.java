package org.layerfuse.bert.graph;

import org.layerfuse.bert.Activation;
import org.layerfuse.bert.graph.ops.GeluOp;
import org.layerfuse.engine.javaop.JavaOps;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The FFN activation, written out so that each checkpoint's own form is reproduced exactly:
 * exact GELU ½x(1 + erf(x/√2)), the tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))), or ReLU.
 *
 * <p>Each form is written with as few graph ops as its identity allows, because a gradient
 * call keeps every op's {@code [tokens, intermediate]} output until the backward pass has used
 * it (BERT-base, 32 × 32 tokens: 12.6 MB per op and layer): exact GELU as ½x·erfc(−x/√2)
 * (4 ops instead of 5), the tanh form as x·σ(2z) with 2z = x·(2c + 2c·0.044715·x²), since
 * ½(1 + tanh z) = σ(2z) (6 ops instead of 8). Both are the same functions (float64: within
 * 2e-15 of the written-out forms, value and gradient; tested against the scalar reference).
 * libnd4j's own ops do not fit: {@code gelu} is the sigmoid approximation x·σ(1.702x), and
 * {@code precise_gelu} differs from the tanh form by up to 0.03.
 */
final class Gelu {

    private static final double MINUS_SQRT_HALF = -Math.sqrt(0.5);
    private static final double TWO_C = 2 * Math.sqrt(2.0 / Math.PI);

    private Gelu() {
    }

    /** act(x + bias): the dense layer's bias added here (in the one GELU op where the Java ops are). */
    static SDVariable apply(SameDiff sd, String name, SDVariable x, SDVariable bias, Activation activation) {
        if (JavaOps.available() && activation != Activation.RELU) {
            long form = activation == Activation.GELU_ERF ? GeluOp.ERF : GeluOp.TANH;
            return new GeluOp(sd, x, bias, form).outputVariables()[0].rename(name);
        }
        return apply(sd, name, x.add(bias), activation);
    }

    private static SDVariable apply(SameDiff sd, String name, SDVariable x, Activation activation) {
        return switch (activation) {
            case GELU_ERF -> sd.math().erfc(x.mul(MINUS_SQRT_HALF)).mul(x).mul(name, 0.5);
            case GELU_TANH -> {
                SDVariable twoZ = sd.math().square(x).mul(TWO_C * 0.044715).add(TWO_C).mul(x);
                yield sd.nn().sigmoid(twoZ).mul(name, x);
            }
            case RELU -> sd.nn().relu(name, x, 0.0);
        };
    }
}
