package org.layerfuse.engine;

import com.sun.jna.Function;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How ND4J's OpenMP worker threads wait between parallel regions. libnd4j and its oneDNN helpers
 * run every op's loop on a GNU OpenMP (libgomp) team whose idle workers, by libgomp's default,
 * spin for up to 300 000 iterations before they sleep. A SameDiff gradient call is hundreds of
 * short parallel regions, so the workers spin most of the time between them; when anything else
 * wants the cores (another process, the JVM's own threads, OpenBLAS's pthreads), the spinning
 * workers hold cores that the op's other threads need, and a 2-thread op waits a scheduler slice
 * for its partner. Measured on a 2-core EPYC shared with another 2-thread job: an element-wise
 * add of [1024, 384] took 8.2 ms with 2 threads against 0.44 ms with one, and MiniLM's gradient
 * call (32 × 32) 6.4–6.7 s with libgomp's default against 1.5–1.6 s with passive waiting.
 *
 * <p>libgomp reads {@code OMP_WAIT_POLICY} once, when ND4J's native library is loaded, so
 * {@link #apply()} sets it in the process environment ({@code setenv}) before that:
 * {@code -Dlayerfuse.omp.waitPolicy=passive} (the default: workers sleep at once), {@code active}
 * (workers spin), or {@code default} (leave libgomp's own default). A value already in the
 * environment ({@code OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT}) always wins.
 */
public final class OpenMpWaitPolicy {

    /** The system property choosing the policy. */
    public static final String PROPERTY = "layerfuse.omp.waitPolicy";
    /** The default value of {@link #PROPERTY}. */
    public static final String DEFAULT = "passive";
    static final String ENV = "OMP_WAIT_POLICY";
    static final String SPIN_ENV = "GOMP_SPINCOUNT";

    private OpenMpWaitPolicy() {
    }

    /**
     * The environment value the property asks for: {@code PASSIVE}, {@code ACTIVE}, or null for
     * libgomp's default.
     */
    static String requested(String property) {
        String v = property == null ? DEFAULT : property.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "passive" -> "PASSIVE";
            case "active" -> "ACTIVE";
            case "default" -> null;
            default -> throw new IllegalArgumentException(PROPERTY + " must be one of passive, active, default; got '"
                    + property + "'");
        };
    }

    /**
     * Sets {@code OMP_WAIT_POLICY} in the process environment as {@link #PROPERTY} asks, unless
     * the environment already chooses (see class doc). Call before ND4J's native library loads.
     *
     * @return what is in effect, for the log: e.g. {@code PASSIVE}, {@code ACTIVE (environment)},
     *         {@code libgomp default}, or a note that OpenMP was already loaded
     */
    public static String apply() {
        String wanted = requested(System.getProperty(PROPERTY));
        String fromEnv = nativeGetenv(ENV);
        if (fromEnv != null || nativeGetenv(SPIN_ENV) != null) {
            return fromEnv != null ? fromEnv + " (environment)" : SPIN_ENV + "=" + nativeGetenv(SPIN_ENV) + " (environment)";
        }
        if (wanted == null) {
            return "libgomp default";
        }
        if (openMpLoaded()) {
            return "libgomp default (OpenMP was loaded before " + PROPERTY + " could apply)";
        }
        return setenv(ENV, wanted) ? wanted : "libgomp default (setenv unavailable)";
    }

    /** The variable as the C library sees it (Java's {@code System.getenv} is a copy made at start). */
    static String nativeGetenv(String name) {
        Function getenv = LibC.function("getenv");
        if (getenv == null) {
            return System.getenv(name);
        }
        return getenv.invokeString(new Object[] {name}, false);
    }

    private static boolean setenv(String name, String value) {
        Function setenv = LibC.function("setenv");
        return setenv != null && setenv.invokeInt(new Object[] {name, value, 1}) == 0;
    }

    /** Whether libgomp is already mapped into this process (then it has read its environment). */
    static boolean openMpLoaded() {
        try {
            return Files.readString(Path.of("/proc/self/maps")).contains("libgomp");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

}
