package org.layerfuse.bert.graph;

import org.nd4j.autodiff.samediff.SDVariable;

/** An affine map of a {@code [rows, in]} matrix: y = x·W + b with W stored {@code [in, out]}. */
final class Dense {

    private Dense() {
    }

    static SDVariable apply(String name, SDVariable x, SDVariable kernel, SDVariable bias) {
        return x.mmul(kernel).add(name, bias);
    }
}
