package org.layerfuse.bench.kernels;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * STREAM-like single-thread memory bandwidth (McCalpin's copy c = a and triad a = b + s·c),
 * with Vector API loops, on arrays of 2²⁵ floats (134 MB each, far beyond the 8 MB L3):
 * the ceiling the 10⁸-element kernels are compared against. Bytes counted the STREAM way
 * (copy 8 B per element, triad 12 B; the write-allocate read of the target is not counted).
 * Plus a read-only pass (the traffic pattern of the reduction kernels: 4 B per element).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class MemoryBandwidthBench {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Param({"33554432"})
    public int size;

    float[] a;
    float[] b;
    float[] c;

    @Setup(Level.Trial)
    public void fill() {
        a = new float[size];
        b = new float[size];
        c = new float[size];
        java.util.Arrays.fill(a, 1f);
        java.util.Arrays.fill(b, 2f);
        java.util.Arrays.fill(c, 0.5f);
    }

    @Benchmark
    public float[] copy() {
        int i = 0;
        for (; i < S.loopBound(size); i += S.length()) {
            FloatVector.fromArray(S, a, i).intoArray(c, i);
        }
        for (; i < size; i++) {
            c[i] = a[i];
        }
        return c;
    }

    @Benchmark
    public float[] triad() {
        FloatVector s = FloatVector.broadcast(S, 3f);
        int i = 0;
        for (; i < S.loopBound(size); i += S.length()) {
            FloatVector.fromArray(S, c, i).fma(s, FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < size; i++) {
            a[i] = b[i] + 3f * c[i];
        }
        return a;
    }

    /** Sums a with four vector accumulators: memory read speed with the least compute. */
    @Benchmark
    public float read() {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int l = S.length();
        int i = 0;
        for (; i < size - size % (4 * l); i += 4 * l) {
            s0 = s0.add(FloatVector.fromArray(S, a, i));
            s1 = s1.add(FloatVector.fromArray(S, a, i + l));
            s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * l));
            s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * l));
        }
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            sum += a[i];
        }
        return sum;
    }
}
