package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Which ND4J CPU build is chosen for which CPU: from /proc/cpuinfo text to the variant name, for
 * the flag sets of real CPUs (the flags lines are cut to the ones that matter, in their order).
 */
class BackendSelectionTest {

    static CpuFeatures cpu(String vendor, int family, int model, String flags) {
        return CpuFeatures.parse("processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: " + family + "\nmodel\t\t: "
                + model + "\nmodel name\t: test CPU\nflags\t\t: " + flags + "\n\nprocessor\t: 1\nflags\t\t: sse2\n", 2);
    }

    @ParameterizedTest(name = "{0} -> {5}")
    @CsvSource(delimiter = '|', value = {
        // name | vendor | family | model | flags | variant | FLOP/cycle/core
        "Skylake-SP (AVX-512 F/BW/DQ/VL/CD) | GenuineIntel | 6 | 85 | fpu sse2 avx fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl | avx512 | 64",
        "Knights Landing (AVX-512 F/CD but no BW/DQ/VL) | GenuineIntel | 6 | 87 | fpu sse2 avx fma avx2 avx512f avx512cd avx512er avx512pf | avx2 | 32",
        "Haswell (AVX2 + FMA) | GenuineIntel | 6 | 60 | fpu sse2 avx fma avx2 | avx2 | 32",
        "Zen 1 EPYC (AVX2, 128-bit FMA pipes) | AuthenticAMD | 23 | 1 | fpu sse2 avx fma avx2 | avx2 | 16",
        "Zen 2 (AVX2, 256-bit pipes) | AuthenticAMD | 23 | 49 | fpu sse2 avx fma avx2 | avx2 | 32",
        "Zen 4 (AVX-512) | AuthenticAMD | 25 | 17 | fpu sse2 avx fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl | avx512 | 64",
        "AVX2 without FMA (a VM that masks FMA) | GenuineIntel | 6 | 60 | fpu sse2 avx avx2 | generic | 16",
        "Sandy Bridge (AVX only) | GenuineIntel | 6 | 42 | fpu sse2 avx | generic | 16",
        "no flags line (a restricted cpuinfo) | GenuineIntel | 6 | 42 | | generic | 16",
    })
    void variantFollowsTheFlags(String name, String vendor, int family, int model, String flags, String variant,
                                int flopsPerCycle) {
        CpuFeatures c = cpu(vendor, family, model, flags == null ? "" : flags);
        assertEquals(variant, Backend.chooseVariant("auto", c), name);
        assertEquals(variant, Backend.chooseVariant(null, c), name + " (no request = auto)");
        assertEquals(flopsPerCycle, c.fp32FlopsPerCyclePerCore(), name);
    }

    @Test
    void onlyTheFirstProcessorsFlagsAreRead() {
        CpuFeatures c = cpu("GenuineIntel", 6, 85, "avx2 fma");
        assertTrue(c.avx2());
        assertFalse(c.has("sse2"), "the second processor's flags line is not read");
    }

    @Test
    void anExplicitVariantOverridesTheCpuAndAnUnknownOneIsRefused() {
        CpuFeatures avx512 = cpu("GenuineIntel", 6, 85, "fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl");
        assertEquals("generic", Backend.chooseVariant("generic", avx512));
        assertEquals("avx2", Backend.chooseVariant("avx2", avx512));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Backend.Settings(0, 1, "avx1024"));
        assertTrue(e.getMessage().contains("auto, generic, avx2, avx512") && e.getMessage().contains("avx1024"),
                e.getMessage());
    }
}
