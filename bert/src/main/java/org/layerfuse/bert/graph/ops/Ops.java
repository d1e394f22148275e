package org.layerfuse.bert.graph.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small helpers of the Java graph ops. */
final class Ops {

    private Ops() {
    }

    /** Copies {@code values} (row-major) into {@code out}, keeping its shape and type. */
    static void assign(INDArray out, double[] values) {
        out.assign(Nd4j.createFromArray(values).reshape(out.shape()).castTo(out.dataType()));
    }

    /** Copies {@code values} (row-major) into {@code out}, keeping its shape and type. */
    static void assign(INDArray out, float[] values) {
        out.assign(Nd4j.createFromArray(values).reshape(out.shape()).castTo(out.dataType()));
    }
}
