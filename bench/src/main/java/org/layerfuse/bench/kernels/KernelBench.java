package org.layerfuse.bench.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.layerfuse.engine.kernels.BufferKernels;
import org.layerfuse.engine.kernels.FloatLog;
import org.layerfuse.engine.kernels.GradientAccumulator;
import org.layerfuse.engine.kernels.RowEntropy;
import org.layerfuse.engine.kernels.ScalarKernels;
import org.layerfuse.engine.kernels.VectorKernels;
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
 * Each engine kernel against its scalar loop ({@link ScalarKernels}, double, one element at a
 * time) on 10³ (L1), 10⁶ (L2/L3) and 10⁸ floats (400 MB, memory-bound), single-threaded.
 * Method names are {@code <kernel>Scalar} / {@code <kernel>Vector}: {@link KernelBenchReport}
 * pairs them. Values are uniform in [0, 1/16) with 1% exact zeros, so that they are valid
 * attention probabilities as well (rows of 32).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms2g", "-Xmx2g",
        "-XX:MaxDirectMemorySize=1g"})
@Warmup(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class KernelBench {

    /** Row length for the attention-entropy kernel (the paper's sequence length). */
    static final int ROW = 32;
    static final float EPS = VectorKernels.DEFAULT_EPS;

    @Param({"1000", "1000000", "100000000"})
    public int size;

    float[] a;
    float[] positive;
    float[] logOut;
    float[] rowsOut;
    double[] rowsOutScalar;

    @Setup(Level.Trial)
    public void fill() {
        a = values(size, 1);
        positive = new float[size];
        for (int i = 0; i < size; i++) {
            positive[i] = Math.abs(a[i]) + 1e-12f;
        }
        logOut = new float[size];
        rowsOut = new float[size / ROW];
        rowsOutScalar = new double[size / ROW];
    }

    static float[] values(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(100) == 0 ? 0f : (float) (r.nextDouble() / 16);
        }
        return v;
    }

    /** A second array, only for dot. */
    @State(Scope.Benchmark)
    public static class Second {
        float[] b;

        @Setup(Level.Trial)
        public void fill(KernelBench bench) {
            b = values(bench.size, 2);
        }
    }

    /** The same values in a direct native-order buffer: the memory layout NdBuffers.floatView hands out. */
    @State(Scope.Benchmark)
    public static class Direct {
        ByteBuffer buffer;

        @Setup(Level.Trial)
        public void fill(KernelBench bench) {
            buffer = ByteBuffer.allocateDirect(bench.size * Float.BYTES).order(ByteOrder.nativeOrder());
            buffer.asFloatBuffer().put(bench.a);
        }
    }

    @Benchmark
    public double sumScalar() {
        return ScalarKernels.sum(a, 0, size);
    }

    @Benchmark
    public double sumVector() {
        return VectorKernels.sum(a, 0, size);
    }

    @Benchmark
    public double sumAbsScalar() {
        return ScalarKernels.sumAbs(a, 0, size);
    }

    @Benchmark
    public double sumAbsVector() {
        return VectorKernels.sumAbs(a, 0, size);
    }

    @Benchmark
    public double sumSquaresScalar() {
        return ScalarKernels.sumSquares(a, 0, size);
    }

    @Benchmark
    public double sumSquaresVector() {
        return VectorKernels.sumSquares(a, 0, size);
    }

    /** Same scalar loop as sumSquaresScalar; the vector side reads a direct buffer. */
    @Benchmark
    public double sumSquaresDirectBufferScalar() {
        return ScalarKernels.sumSquares(a, 0, size);
    }

    @Benchmark
    public double sumSquaresDirectBufferVector(Direct direct) {
        return BufferKernels.sumSquares(direct.buffer, 0, size);
    }

    @Benchmark
    public long countZerosScalar() {
        return ScalarKernels.countZeros(a, 0, size);
    }

    @Benchmark
    public long countZerosVector() {
        return VectorKernels.countZeros(a, 0, size);
    }

    @Benchmark
    public double dotScalar(Second second) {
        return ScalarKernels.dot(a, 0, second.b, 0, size);
    }

    @Benchmark
    public double dotVector(Second second) {
        return VectorKernels.dot(a, 0, second.b, 0, size);
    }

    @Benchmark
    public double l1EntropyScalar() {
        return ScalarKernels.l1Entropy(a, 0, size, EPS);
    }

    @Benchmark
    public double l1EntropyVector() {
        return VectorKernels.l1Entropy(a, 0, size, EPS);
    }

    @Benchmark
    public double[] rowEntropyScalar() {
        ScalarKernels.rowEntropies(a, 0, size / ROW, ROW, null, 1, EPS, rowsOutScalar);
        return rowsOutScalar;
    }

    @Benchmark
    public float[] rowEntropyVector() {
        RowEntropy.entropies(a, 0, size / ROW, ROW, null, 1, EPS, rowsOut);
        return rowsOut;
    }

    @Benchmark
    public float[] logScalar() {
        for (int i = 0; i < size; i++) {
            logOut[i] = (float) Math.log(positive[i]);
        }
        return logOut;
    }

    @Benchmark
    public float[] logVector() {
        FloatLog.log(positive, 0, logOut, 0, size);
        return logOut;
    }

    /** One pass of Σ|g| and Σg² in double: what GradientAccumulator.add does, as a plain loop. */
    @Benchmark
    public double gradientAccumulateScalar() {
        double abs = 0;
        double sq = 0;
        for (int i = 0; i < size; i++) {
            double g = a[i];
            abs += Math.abs(g);
            sq += g * g;
        }
        return abs + sq;
    }

    @Benchmark
    public double gradientAccumulateVector() {
        GradientAccumulator acc = new GradientAccumulator();
        acc.add(a, 0, size);
        return acc.sumSquares();
    }
}
