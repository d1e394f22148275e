package org.layerfuse.engine;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts ND4J once per JVM with the right native build, thread counts and seed, and logs
 * what is in use. Every entry point that touches ND4J calls {@link #init()} (or
 * {@link #init(Settings)}) first: the choice of native build must be made before any ND4J
 * class loads.
 *
 * <p>CPU builds on the class path (engine's default profile): generic x86-64, oneDNN+AVX2
 * and oneDNN+AVX-512. The best one the CPU supports is chosen by setting JavaCPP's
 * {@code org.bytedeco.javacpp.platform.extension}; {@code -Dlayerfuse.nd4j.variant=generic|avx2|avx512}
 * overrides. With the CUDA profile ({@code -Dnd4j.backend=cuda} at build time) the same code
 * runs on the GPU and the variant is ignored.
 */
public final class Backend {

    /** malloc arenas: ND4J allocates its arrays on the calling thread and frees them on others. */
    static final int MALLOC_ARENAS = 2;


    private static final Logger LOG = LoggerFactory.getLogger(Backend.class);
    private static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    private static final Map<String, String> EXTENSIONS =
            Map.of("generic", "", "avx2", "-onednn-avx2", "avx512", "-onednn-avx512");

    private static volatile Info info;

    private Backend() {
    }

    /** How to start ND4J. {@code threads <= 0} means one per logical core. */
    public record Settings(int threads, long seed, String variant) {
        public Settings {
            if (variant != null && !variant.equals("auto") && !EXTENSIONS.containsKey(variant)) {
                throw new IllegalArgumentException("layerfuse.nd4j.variant must be one of auto, generic, avx2, avx512; got '"
                        + variant + "'");
            }
        }

        /** Settings from system properties {@code layerfuse.threads}, {@code layerfuse.seed}, {@code layerfuse.nd4j.variant}. */
        public static Settings fromSystemProperties() {
            return new Settings(Integer.getInteger("layerfuse.threads", 0),
                    Long.getLong("layerfuse.seed", 42L),
                    variantFromSystemProperty());
        }

        /** The ND4J build {@code -Dlayerfuse.nd4j.variant} asks for ({@code auto} when unset). */
        public static String variantFromSystemProperty() {
            return System.getProperty("layerfuse.nd4j.variant", "auto");
        }
    }

    /** What was chosen and what ND4J reports. */
    public record Info(String backend, String variant, String blasVendor, int threads, long seed,
                       String openblasCoreType, String ompWaitPolicy, CpuFeatures cpu) {
        public boolean isCuda() {
            return backend.toLowerCase(Locale.ROOT).contains("cuda");
        }

        @Override
        public String toString() {
            return "backend=" + backend + " variant=" + variant + " blas=" + blasVendor + " threads=" + threads
                    + " seed=" + seed + " OPENBLAS_CORETYPE=" + openblasCoreType + " OMP_WAIT_POLICY=" + ompWaitPolicy
                    + " cpu=\"" + cpu.modelName() + "\"";
        }
    }

    /** Starts ND4J with settings from system properties (idempotent). */
    public static Info init() {
        return init(Settings.fromSystemProperties());
    }

    /**
     * Starts ND4J (idempotent: a second call re-applies threads and seed, but the native
     * build chosen first stays).
     */
    public static synchronized Info init(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        CpuFeatures cpu = CpuFeatures.detect();
        if (info == null) {
            // Before ND4J starts its threads: see GlibcMalloc (a study's memory grew with 16 arenas).
            GlibcMalloc.limitArenas(MALLOC_ARENAS);
            long mmapThreshold = GlibcMalloc.mmapThresholdFromProperty();
            GlibcMalloc.fixMmapThreshold(mmapThreshold);
            GlibcMalloc.fixTrimThreshold(GlibcMalloc.trimThresholdFromProperty(mmapThreshold));
            // Before ND4J loads libgomp, which reads its wait policy once (see OpenMpWaitPolicy).
            String ompWaitPolicy = OpenMpWaitPolicy.apply();
            String variant = chooseVariant(settings.variant(), cpu);
            if (System.getProperty(EXTENSION_PROPERTY) == null) {
                System.setProperty(EXTENSION_PROPERTY, EXTENSIONS.get(variant));
            } else {
                variant = "as set: '" + System.getProperty(EXTENSION_PROPERTY) + "'";
            }
            int threads = settings.threads() > 0 ? settings.threads() : cpu.logicalCores();
            applyThreads(threads);
            Nd4j.getRandom().setSeed(settings.seed());
            Object vendor = Nd4j.getExecutioner().getEnvironmentInformation().get("blas.vendor");
            String backendName = Nd4j.getBackend().getClass().getSimpleName();
            info = new Info(backendName, variant, String.valueOf(vendor), threads, settings.seed(),
                    Objects.requireNonNullElse(System.getenv("OPENBLAS_CORETYPE"), "(auto)"), ompWaitPolicy, cpu);
            LOG.info("LayerFuse ND4J {}", info);
            if (cpu.avx512() && System.getenv("OPENBLAS_CORETYPE") == null && !info.isCuda()) {
                LOG.info("This CPU has AVX-512 but OPENBLAS_CORETYPE is unset: OpenBLAS 0.3.19 may fall back to AVX2 "
                        + "kernels. Start the JVM with OPENBLAS_CORETYPE=SkylakeX (the layerfuse launcher does; that "
                        + "build's AVX-512 LAPACK is wrong, OpenBLAS#2986, and LayerFuse calls none).");
            }
            if (!info.isCuda()) {
                warnIfLapackWrong(info.openblasCoreType());
            }
        } else {
            int threads = settings.threads() > 0 ? settings.threads() : cpu.logicalCores();
            applyThreads(threads);
            Nd4j.getRandom().setSeed(settings.seed());
            info = new Info(info.backend(), info.variant(), info.blasVendor(), threads, settings.seed(),
                    info.openblasCoreType(), info.ompWaitPolicy(), info.cpu());
        }
        return info;
    }

    /** The settings in use, starting ND4J with defaults if nothing has yet. */
    public static Info info() {
        Info current = info;
        return current != null ? current : init();
    }

    /** Re-seeds ND4J's global random generator. */
    public static void seed(long seed) {
        info();
        Nd4j.getRandom().setSeed(seed);
    }

    static String chooseVariant(String requested, CpuFeatures cpu) {
        if (requested != null && !requested.equals("auto")) {
            return requested;
        }
        if (cpu.avx512()) {
            return "avx512";
        }
        return cpu.avx2() ? "avx2" : "generic";
    }

    private static void applyThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** Runs {@link LapackCheck} once (a few milliseconds) and warns where the native LAPACK is wrong. */
    private static void warnIfLapackWrong(String coreType) {
        try {
            double error = LapackCheck.choleskyError();
            if (LapackCheck.wrong(error)) {
                LOG.warn("The OpenBLAS inside ND4J computes wrong double-precision LAPACK results on this CPU with "
                        + "OPENBLAS_CORETYPE={} (a 64 x 64 Cholesky factor off by {} relative; its AVX-512 kernels, "
                        + "OpenMathLib/OpenBLAS#2986). LayerFuse calls no LAPACK routine; code of your own that calls "
                        + "ND4J's or Smile's linear algebra in this JVM should run with OPENBLAS_CORETYPE=Haswell.",
                        coreType, String.format(java.util.Locale.ROOT, "%.2g", error));
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("LAPACK check not run: {}", e.toString());
        }
    }
}
