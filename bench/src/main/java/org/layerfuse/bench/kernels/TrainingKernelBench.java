package org.layerfuse.bench.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.fused.NativeGelu;
import org.layerfuse.engine.fused.NativeRows;
import org.layerfuse.engine.fused.ScalarBackwardKernels;
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
 * The training step's own kernels (session 37), single-threaded ({@code -Dlayerfuse.fused.threads=1}),
 * each against a double loop: the GELU op's forward with its derivative
 * with the intermediate dense layer's bias folded in (session 38; {@link NativeGelu#erfWithDerivative}:
 * x read, y = GELU(x + b) and GELU'(x + b) written) and the gradient that is
 * then one product ({@link NativeGelu#multiply}), and x + b copied for the derivative kernels
 * ({@link NativeRows#biasAdd} into another buffer), over one FFN block's {@code [tokens, 4H]}.
 * Shapes as {@link FusedKernelBench}'s; AdamW's kernels are in {@link AdamWTableBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms3g", "-Xmx3g",
        "-Dlayerfuse.fused.threads=1"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
public class TrainingKernelBench {

    @Param({"minilm", "bert-base"})
    public String shape;

    int hidden;
    int tokens;
    int ffn;
    ByteBuffer x;
    ByteBuffer y;
    ByteBuffer d;
    ByteBuffer dy;
    ByteBuffer dx;
    double[] xd;
    double[] yd;
    double[] dd;
    double[] dyd;
    float[] bias;
    double[] biasd;

    @Setup(Level.Trial)
    public void fill() {
        Backend.init();
        boolean mini = shape.equals("minilm");
        hidden = mini ? 384 : 768;
        tokens = 32 * (mini ? 32 : 128);
        ffn = 4 * hidden;
        SplittableRandom r = new SplittableRandom(3);
        int n = tokens * ffn;
        x = direct(n);
        y = direct(n);
        d = direct(n);
        dy = direct(n);
        dx = direct(n);
        xd = new double[n];
        yd = new double[n];
        dd = new double[n];
        dyd = new double[n];
        bias = new float[ffn];
        biasd = new double[ffn];
        for (int c = 0; c < ffn; c++) {
            bias[c] = (float) r.nextDouble(-0.5, 0.5);
            biasd[c] = bias[c];
        }
        for (int i = 0; i < n; i++) {
            xd[i] = (float) r.nextDouble(-4, 4);
            dyd[i] = (float) r.nextDouble(-1, 1);
            x.putFloat(4 * i, (float) xd[i]);
            dy.putFloat(4 * i, (float) dyd[i]);
        }
        NativeGelu.erfDerivative(x, 0, d, 0, n);
    }

    private static ByteBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
    }

    @Benchmark
    public ByteBuffer geluErfWithDerivativeNative() {
        NativeGelu.erfWithDerivative(x, 0, y, 0, d, 0, tokens, ffn, bias);
        return d;
    }

    @Benchmark
    public double[] geluErfWithDerivativeScalar() {
        for (int i = 0; i < xd.length; i++) {
            double v = xd[i] + biasd[i % ffn];
            yd[i] = ScalarBackwardKernels.geluErf(v);
            dd[i] = ScalarBackwardKernels.geluErfGrad(v);
        }
        return dd;
    }

    /** x + bias into another buffer (the tanh form's and ragged widths' argument for the derivative kernel). */
    @Benchmark
    public ByteBuffer biasAddIntoNative() {
        NativeRows.biasAdd(x, 0, d, 0, tokens, ffn, bias);
        return d;
    }

    @Benchmark
    public double[] biasAddIntoScalar() {
        for (int i = 0; i < xd.length; i++) {
            dd[i] = xd[i] + biasd[i % ffn];
        }
        return dd;
    }

    @Benchmark
    public ByteBuffer geluGradientProductNative() {
        NativeGelu.multiply(d, 0, dy, 0, dx, 0, tokens * ffn);
        return dx;
    }

    @Benchmark
    public double[] geluGradientProductScalar() {
        for (int i = 0; i < dd.length; i++) {
            yd[i] = dd[i] * dyd[i];
        }
        return yd;
    }
}
