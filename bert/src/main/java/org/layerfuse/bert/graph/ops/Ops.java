package org.layerfuse.bert.graph.ops;

import org.layerfuse.bert.NativeFloats;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Small helpers of the Java graph ops. They copy through no temporary ND4J array where the
 * target is a contiguous float32 array, and close the temporaries they do make: an unclosed
 * array waits for the garbage collector, and in a gradient call hundreds of small ones pin
 * native memory between the call's large arrays.
 */
final class Ops {

    private Ops() {
    }

    /** Copies {@code values} (row-major) into {@code out}, keeping its shape and type. */
    static void assign(INDArray out, double[] values) {
        try (INDArray tmp = Nd4j.createFromArray(values)) {
            copy(tmp, out);
        }
    }

    /** Copies {@code values} (row-major) into {@code out}, keeping its shape and type. */
    static void assign(INDArray out, float[] values) {
        if (NativeFloats.accepts(out) && out.length() == values.length) {
            NativeFloats.of(out, "op output").write(0, values, 0, values.length);
            java.lang.ref.Reference.reachabilityFence(out);
            return;
        }
        try (INDArray tmp = Nd4j.createFromArray(values)) {
            copy(tmp, out);
        }
    }

    /**
     * The values of {@code a} in row-major order as doubles: read straight from its buffer when it
     * is a plain C-ordered array of its own, else through a C-ordered copy, closed at once.
     */
    static double[] doubles(INDArray a) {
        if (a.ordering() == 'c' && a.offset() == 0 && !a.isView() && a.data().length() == a.length()) {
            return a.data().asDouble();
        }
        try (INDArray c = a.dup('c')) {
            return c.data().asDouble();
        }
    }

    /** Sets rows {@code [from, rows)} of the {@code [rows, cols]} array {@code a} to 0 (none if from is past them). */
    static void zeroRowsFrom(INDArray a, long from) {
        if (from >= a.rows()) {
            return;
        }
        long at = from * a.columns();
        int n = Math.toIntExact(a.length() - at);
        if (NativeFloats.accepts(a)) {
            NativeFloats.of(a, "op output").write(Math.toIntExact(at), new float[n], 0, n);
            java.lang.ref.Reference.reachabilityFence(a);
            return;
        }
        try (INDArray zero = Nd4j.scalar(a.dataType(), 0)) { // closed here: no array left to the collector
            a.get(NDArrayIndex.interval(from, a.rows()), NDArrayIndex.all()).assign(zero);
        }
    }

    private static void copy(INDArray tmp, INDArray out) {
        if (tmp.dataType() == out.dataType()) {
            out.assign(tmp.reshape(out.shape()));
            return;
        }
        try (INDArray cast = tmp.castTo(out.dataType())) {
            out.assign(cast.reshape(out.shape()));
        }
    }
}
