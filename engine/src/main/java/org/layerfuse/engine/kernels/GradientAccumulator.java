package org.layerfuse.engine.kernels;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Running Σ|g|, Σg² and count over float gradient chunks fed one mini-batch (or one
 * parameter tensor) at a time: the raw material of the gradient-magnitude and Fisher
 * signals (paper eqs. 8–9).
 *
 * <p>No precision is lost where a float accumulator would lose it: each float is widened to
 * double in the vector lanes (a float square is exact in double), each chunk is summed in
 * double lanes, and the chunk totals are added with Neumaier's compensated summation. So
 * 10⁷ values of 10⁻⁴ added after a 10⁴ all arrive (a float running sum stays at 10⁴).
 * NaN gradients are rejected with the chunk index; the accumulator is then unchanged.
 * Not thread-safe; {@link #merge} combines accumulators filled on different threads.
 */
public final class GradientAccumulator {

    private static final VectorSpecies<Double> DOUBLES =
            DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 128 ? DoubleVector.SPECIES_PREFERRED : DoubleVector.SPECIES_128;
    /** Floats loaded per step: as many as there are double lanes, widened by F2D. */
    private static final VectorSpecies<Float> FLOATS =
            VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
    private static final int LANES = DOUBLES.length();

    private final NeumaierSum sumAbs = new NeumaierSum();
    private final NeumaierSum sumSquares = new NeumaierSum();
    private long count;
    private long chunks;

    /** Adds {@code g[from, from+length)}. */
    public void add(float[] g, int from, int length) {
        KernelInputs.checkRange("GradientAccumulator.add", g.length, from, length);
        int upper = from + length - length % (2 * LANES);
        DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, q0 = a0, q1 = a0;
        for (int i = from; i < upper; i += 2 * LANES) {
            DoubleVector v0 = (DoubleVector) FloatVector.fromArray(FLOATS, g, i).convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector v1 = (DoubleVector) FloatVector.fromArray(FLOATS, g, i + LANES).convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = a0.add(v0.abs());
            a1 = a1.add(v1.abs());
            q0 = v0.fma(v0, q0);
            q1 = v1.fma(v1, q1);
        }
        double abs = a0.add(a1).reduceLanes(VectorOperators.ADD);
        double sq = q0.add(q1).reduceLanes(VectorOperators.ADD);
        for (int i = upper; i < from + length; i++) {
            double x = g[i];
            abs += Math.abs(x);
            sq += x * x;
        }
        if (Double.isNaN(abs)) {
            KernelInputs.rejectNaN("GradientAccumulator.add (chunk " + chunks + ")", g, from, length);
        }
        record(abs, sq, length);
    }

    /** Adds floats {@code [from, from+length)} of a buffer (element i at byte 4·i, in the buffer's byte order). */
    public void add(ByteBuffer g, int from, int length) {
        KernelInputs.checkRange("GradientAccumulator.add", g, from, length);
        ByteOrder order = g.order();
        int upper = from + length - length % (2 * LANES);
        DoubleVector a0 = DoubleVector.zero(DOUBLES), a1 = a0, q0 = a0, q1 = a0;
        for (int i = from; i < upper; i += 2 * LANES) {
            DoubleVector v0 = (DoubleVector) FloatVector.fromByteBuffer(FLOATS, g, i * Float.BYTES, order)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            DoubleVector v1 = (DoubleVector) FloatVector.fromByteBuffer(FLOATS, g, (i + LANES) * Float.BYTES, order)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            a0 = a0.add(v0.abs());
            a1 = a1.add(v1.abs());
            q0 = v0.fma(v0, q0);
            q1 = v1.fma(v1, q1);
        }
        double abs = a0.add(a1).reduceLanes(VectorOperators.ADD);
        double sq = q0.add(q1).reduceLanes(VectorOperators.ADD);
        for (int i = upper; i < from + length; i++) {
            double x = g.getFloat(i * Float.BYTES);
            abs += Math.abs(x);
            sq += x * x;
        }
        if (Double.isNaN(abs)) {
            KernelInputs.rejectNaN("GradientAccumulator.add (chunk " + chunks + ")", g, from, length);
        }
        record(abs, sq, length);
    }

    /** Adds all elements of a view (e.g. from {@link NdBuffers#floatView}), keeping its array alive meanwhile. */
    public void add(FloatView g) {
        try {
            add(g.buffer(), 0, g.length());
        } finally {
            Reference.reachabilityFence(g);
        }
    }

    /** Adds another accumulator's totals (e.g. one filled on another thread). */
    public void merge(GradientAccumulator other) {
        sumAbs.add(other.sumAbs.value());
        sumSquares.add(other.sumSquares.value());
        count += other.count;
        chunks += other.chunks;
    }

    public void reset() {
        sumAbs.reset();
        sumSquares.reset();
        count = 0;
        chunks = 0;
    }

    /** Σ|g| over everything added. */
    public double sumAbs() {
        return sumAbs.value();
    }

    /** Σg² over everything added. */
    public double sumSquares() {
        return sumSquares.value();
    }

    /** Number of values added. */
    public long count() {
        return count;
    }

    /** Σ|g| / count (gradient magnitude); NaN when nothing was added. */
    public double meanAbs() {
        return count == 0 ? Double.NaN : sumAbs() / count;
    }

    /** Σg² / count (mean squared gradient, the empirical Fisher diagonal's mean); NaN when nothing was added. */
    public double meanSquare() {
        return count == 0 ? Double.NaN : sumSquares() / count;
    }

    private void record(double abs, double sq, int length) {
        sumAbs.add(abs);
        sumSquares.add(sq);
        count += length;
        chunks++;
    }

    /** Neumaier's variant of Kahan summation: the running compensation also covers a term larger than the sum. */
    private static final class NeumaierSum {
        private double sum;
        private double compensation;

        void add(double x) {
            double t = sum + x;
            if (Math.abs(sum) >= Math.abs(x)) {
                compensation += (sum - t) + x;
            } else {
                compensation += (x - t) + sum;
            }
            sum = t;
        }

        double value() {
            return sum + compensation;
        }

        void reset() {
            sum = 0;
            compensation = 0;
        }
    }
}
