package org.layerfuse.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * This process's resident memory as the kernel counts it ({@code /proc/self/status}): the
 * figure a machine's memory limit applies to, covering the Java heap, ND4J's native arrays
 * and everything else. Linux only; elsewhere every reading is −1.
 */
public final class ResidentMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ResidentMemory() {
    }

    /** Resident bytes now ({@code VmRSS}), or −1 where the kernel does not say. */
    public static long currentBytes() {
        return read("VmRSS:");
    }

    /** Highest resident bytes so far ({@code VmHWM}, the high-water mark), or −1. */
    public static long peakBytes() {
        return read("VmHWM:");
    }

    /** "2.31 GB", or "unknown" for a negative reading. */
    public static String format(long bytes) {
        return bytes < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    static long parse(List<String> statusLines, String key) {
        for (String line : statusLines) {
            if (line.startsWith(key)) {
                String[] parts = line.substring(key.length()).trim().split("\\s+");
                long value = Long.parseLong(parts[0]);
                return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value;
            }
        }
        return -1;
    }

    private static long read(String key) {
        try {
            return parse(Files.readAllLines(STATUS), key);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
