package org.layerfuse.engine.fused;

import java.util.Locale;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which library runs ND4J's matrix product for the fused forward and the Java graph ops: the
 * oneDNN platform helper (ND4J's default in its onednn builds) or the bundled OpenBLAS (helpers
 * off). The default is oneDNN. On a 2-core AVX-512 EPYC with {@code OPENBLAS_CORETYPE=SkylakeX}
 * (2026-11-30) OpenBLAS won MiniLM's products timed back to back (0.55–1.0× oneDNN's time), but
 * inside the fused forward, alternating the two in one JVM, oneDNN was faster: MiniLM 32 × 32
 * 128 vs 143 ms, 32 × 128 512 vs 577 ms, BERT-base 32 × 32 940 vs 1040 ms (OpenBLAS's worker
 * threads keep spinning after a product and slow the Java kernels between products; the
 * helper's OpenMP team sleeps under the passive wait policy). Switching the helper on and off
 * between products costs more again (a training step with both libraries: 881 ms, with oneDNN
 * alone 524 ms). {@code -Dlayerfuse.fused.gemm=blas} chooses OpenBLAS for every product, and
 * {@code auto} times bare products once per JVM and {@code [k, n]} shape (best of six each way,
 * alternating) and logs the choice.
 *
 * <p>ND4J's helper switch is process-wide: {@link #run} turns helpers off for the duration of
 * the body and back on after. A graph running at the same time in another thread may then
 * also run without helpers for that while, which changes its speed, not its results.
 */
public final class GemmRoute {

    private static final Logger LOG = LoggerFactory.getLogger(GemmRoute.class);

    /** The two implementations of ND4J's {@code matmul} on the CPU. */
    public enum Route { ONEDNN, BLAS }

    private static volatile Route fixed = fromProperty();
    private static final java.util.Map<String, Route> MEASURED = new java.util.concurrent.ConcurrentHashMap<>();

    private GemmRoute() {
    }

    private static Route fromProperty() {
        String p = System.getProperty("layerfuse.fused.gemm", "onednn").toLowerCase(Locale.ROOT);
        return switch (p) {
            case "onednn" -> Route.ONEDNN;
            case "blas", "openblas" -> Route.BLAS;
            case "auto" -> null;
            default -> throw new IllegalArgumentException("-Dlayerfuse.fused.gemm=" + p + " is not one of auto, onednn, blas");
        };
    }

    /** Fixes the route (tests, benchmarks); null goes back to {@code -Dlayerfuse.fused.gemm}'s choice. */
    public static void use(Route route) {
        fixed = route != null ? route : fromProperty();
    }

    /** The route, measured on {@code [m, k]·[k, n]} products the first time this (k, n, type) is asked for. */
    public static Route route(long m, long k, long n, DataType dtype) {
        Route r = fixed;
        if (r != null) {
            return r;
        }
        return MEASURED.computeIfAbsent(k + "x" + n + " " + dtype, key -> measure(Math.min(m, 1024), k, n, dtype));
    }

    /** Runs {@code body} with ND4J's matmul on {@code route}. */
    public static <T> T run(Route route, Supplier<T> body) {
        if (route == Route.ONEDNN || !Nd4j.getEnvironment().helpersAllowed()) {
            return body.get();
        }
        Nd4j.getEnvironment().allowHelpers(false);
        try {
            return body.get();
        } finally {
            Nd4j.getEnvironment().allowHelpers(true);
        }
    }

    private static Route measure(long m, long k, long n, DataType dtype) {
        if (!Nd4j.getEnvironment().isCPU() || !Nd4j.getEnvironment().helpersAllowed()) {
            return Route.ONEDNN; // nothing to choose: the default path is the only one
        }
        INDArray a = Nd4j.rand(dtype, m, k);
        INDArray b = Nd4j.rand(dtype, k, n);
        INDArray c = Nd4j.create(dtype, m, n);
        double onednn = Double.MAX_VALUE;
        double blas = Double.MAX_VALUE;
        for (int i = 0; i < 7; i++) {
            double t1 = time(Route.ONEDNN, a, b, c);
            double t2 = time(Route.BLAS, a, b, c);
            if (i > 0) { // the first round is warm-up (library load, JIT, primitive creation)
                onednn = Math.min(onednn, t1);
                blas = Math.min(blas, t2);
            }
        }
        Route r = blas < onednn ? Route.BLAS : Route.ONEDNN;
        LOG.info(String.format(Locale.ROOT, "Fused forward GEMM route: %s ([%d,%d]·[%d,%d] best of 6: oneDNN %.2f ms, "
                + "OpenBLAS %.2f ms; -Dlayerfuse.fused.gemm=onednn|blas to fix it)", r, m, k, k, n, onednn, blas));
        return r;
    }

    private static double time(Route route, INDArray a, INDArray b, INDArray c) {
        long t0 = System.nanoTime();
        run(route, () -> Gemm.gemm(a, b, c, false, false, 1.0, 0.0));
        return (System.nanoTime() - t0) / 1e6;
    }
}
