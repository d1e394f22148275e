package org.layerfuse.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The x86 instruction-set flags of the running CPU, read from {@code /proc/cpuinfo}.
 * Used to pick the ND4J native build and the OpenBLAS core type; on other systems the
 * flag set is empty and the generic build is chosen.
 */
public record CpuFeatures(String modelName, String vendor, int family, int model, Set<String> flags,
                          int logicalCores) {

    public CpuFeatures {
        flags = Set.copyOf(flags);
    }

    /** Reads the current machine's features; never throws (an unreadable cpuinfo gives no flags). */
    public static CpuFeatures detect() {
        int cores = Runtime.getRuntime().availableProcessors();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return new CpuFeatures(System.getProperty("os.arch"), "unknown", -1, -1, Set.of(), cores);
        }
        try {
            return parse(Files.readString(cpuinfo), cores);
        } catch (IOException | RuntimeException e) {
            return new CpuFeatures(System.getProperty("os.arch"), "unknown", -1, -1, Set.of(), cores);
        }
    }

    /** Parses the text of a {@code /proc/cpuinfo} file (first processor entry). */
    public static CpuFeatures parse(String cpuinfo, int logicalCores) {
        String model = "unknown";
        String vendor = "unknown";
        int family = -1;
        int modelNumber = -1;
        Set<String> flags = new TreeSet<>();
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("model name") && model.equals("unknown")) {
                model = value;
            } else if (key.equals("vendor_id") && vendor.equals("unknown")) {
                vendor = value;
            } else if (key.equals("cpu family") && family < 0) {
                family = parseIntOr(value, -1);
            } else if (key.equals("model") && modelNumber < 0) {
                modelNumber = parseIntOr(value, -1);
            } else if ((key.equals("flags") || key.equals("Features")) && flags.isEmpty()) {
                flags.addAll(Arrays.asList(value.toLowerCase(Locale.ROOT).split("\\s+")));
            }
        }
        return new CpuFeatures(model, vendor, family, modelNumber, flags, logicalCores);
    }

    private static int parseIntOr(String s, int fallback) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** AVX2 with FMA: the baseline of the oneDNN-AVX2 build. */
    public boolean avx2() {
        return has("avx2") && has("fma");
    }

    /** The AVX-512 subsets that the oneDNN-AVX512 build and OpenBLAS's SkylakeX kernels use. */
    public boolean avx512() {
        return has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl") && has("avx512cd");
    }

    /**
     * Nominal float32 FLOPs per cycle per core: FMA pipes x lanes x 2 (multiply and add).
     * Two FMA pipes of the widest vector width present, except AMD Zen/Zen+ (family 0x17,
     * model below 0x30), whose two FMA pipes are 128 bits wide.
     */
    public int fp32FlopsPerCyclePerCore() {
        if (avx512()) {
            return 2 * 16 * 2;
        }
        if (avx2()) {
            boolean zen1 = vendor.equals("AuthenticAMD") && family == 0x17 && model >= 0 && model < 0x30;
            return zen1 ? 2 * 4 * 2 : 2 * 8 * 2;
        }
        return 2 * 4 * 2;
    }
}
