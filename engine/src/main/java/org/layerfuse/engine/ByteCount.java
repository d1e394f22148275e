package org.layerfuse.engine;

import java.util.Locale;

/** Byte counts as settings write them: {@code 65536}, {@code 4k}, {@code 512m}, {@code 2g}. */
public final class ByteCount {

    private ByteCount() {
    }

    /**
     * Parses a non-negative byte count with an optional k, m or g suffix (powers of 1024).
     *
     * @throws NumberFormatException if it is not one (the caller names the setting in its message)
     */
    public static long parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!v.isEmpty()) {
            unit = switch (v.charAt(v.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                default -> 1;
            };
            if (unit != 1) {
                v = v.substring(0, v.length() - 1);
            }
        }
        long n = Long.parseLong(v);
        if (n < 0) {
            throw new NumberFormatException("negative byte count: " + value);
        }
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new NumberFormatException("byte count too large: " + value);
        }
    }
}
