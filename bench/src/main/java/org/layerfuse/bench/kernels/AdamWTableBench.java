package org.layerfuse.bench.kernels;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.kernels.AdamWKernel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * AdamW on a vocabulary-sized table ({@code [30 522, H]}, H of {@link FusedKernelBench}'s shapes),
 * single-threaded ({@code -Dlayerfuse.fused.threads=1}) against a double loop: the one-pass
 * update of every float ({@code adamwDense}, {@link AdamWKernel#update(INDArray, INDArray, INDArray,
 * INDArray, AdamWKernel.Step)}) and the segmented one ({@code adamwTable}) when a batch's 1 024
 * rows carry gradient and the rest of the table has zero moments, as in a fine-tuning step (less
 * the rows earlier batches read). The table is restored before every call (not timed).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms3g", "-Xmx3g",
        "-Dlayerfuse.fused.threads=1"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
public class AdamWTableBench {

    /** Rows of the vocabulary-sized table (BERT's WordPiece vocabulary). */
    static final int VOCABULARY = 30_522;

    @Param({"minilm", "bert-base"})
    public String shape;

    INDArray[] table; // p, g, m, v
    INDArray[] fresh;
    boolean[] zero;
    float[][] heap;
    AdamWKernel.Step step = new AdamWKernel.Step(0.5f, 0.9f, 0.999f, 0.19f, 0.002f, 1e-5f, 1e-8f, 1e-7f);

    @Setup(Level.Trial)
    public void fill() {
        Backend.init();
        int hidden = shape.equals("minilm") ? 384 : 768;
        SplittableRandom r = new SplittableRandom(3);
        table = new INDArray[] {Nd4j.rand(DataType.FLOAT, VOCABULARY, hidden), Nd4j.zeros(DataType.FLOAT, VOCABULARY, hidden),
            Nd4j.zeros(DataType.FLOAT, VOCABULARY, hidden), Nd4j.zeros(DataType.FLOAT, VOCABULARY, hidden)};
        for (int k = 0; k < 1024; k++) { // a batch's rows
            int row = r.nextInt(VOCABULARY);
            table[1].getRow(row).assign(Nd4j.rand(DataType.FLOAT, hidden).subi(0.5));
            table[2].getRow(row).assign(Nd4j.rand(DataType.FLOAT, hidden).muli(0.01));
            table[3].getRow(row).assign(Nd4j.rand(DataType.FLOAT, hidden).muli(1e-4));
        }
        fresh = new INDArray[4];
        heap = new float[4][];
        for (int k = 0; k < 4; k++) {
            fresh[k] = table[k].dup();
            heap[k] = table[k].data().asFloat();
        }
    }

    /** The table and its flags as they were (the updates are in place; not timed). */
    @Setup(Level.Invocation)
    public void restore() {
        for (int k = 0; k < 4; k++) {
            table[k].assign(fresh[k]);
        }
        zero = AdamWKernel.zeroSegments(table[2], table[3]);
    }

    @Benchmark
    public INDArray adamwDenseNative() {
        AdamWKernel.update(table[0], table[1], table[2], table[3], step);
        return table[0];
    }

    @Benchmark
    public INDArray adamwTableNative() {
        AdamWKernel.update(table[0], table[1], table[2], table[3], step, zero);
        return table[0];
    }

    /** The one-pass update of every float in double (the reference of both rows). */
    @Benchmark
    public float[] adamwDenseScalar() {
        return scalarAdamW();
    }

    @Benchmark
    public float[] adamwTableScalar() {
        return scalarAdamW();
    }

    private float[] scalarAdamW() {
        float[] p = heap[0];
        float[] g = heap[1];
        float[] m = heap[2];
        float[] v = heap[3];
        AdamWKernel.Step s = step;
        for (int i = 0; i < p.length; i++) {
            double gi = (double) g[i] * s.gradScale();
            double mi = s.beta1() * m[i] + (1 - s.beta1()) * gi;
            double vi = s.beta2() * v[i] + (1 - s.beta2()) * gi * gi;
            m[i] = (float) mi;
            v[i] = (float) vi;
            p[i] = (float) (p[i] * (1 - s.decay()) - s.lr() * (mi / s.correction1()) / (Math.sqrt(vi / s.correction2())
                    + s.epsilon()));
        }
        return p;
    }
}
