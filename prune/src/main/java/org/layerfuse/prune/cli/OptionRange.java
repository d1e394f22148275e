package org.layerfuse.prune.cli;

import java.util.Locale;

/**
 * Range checks of command-line values. Each message names the option, the valid range and the
 * value given, so that a bad command line fails before any model or data is loaded.
 */
final class OptionRange {

    private OptionRange() {
    }

    /** An integer of at least {@code min}; {@code meaning} (may be empty) says what the smallest values mean. */
    static void atLeast(String option, int value, int min, String meaning) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + meaning + ", got " + value);
        }
    }

    static void atLeast(String option, int value, int min) {
        atLeast(option, value, min, "");
    }

    /** An integer in {@code [min, max]}; {@code maxName} says where the upper bound comes from. */
    static void within(String option, int value, int min, int max, String maxName) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + " must be in [" + min + ", " + maxName + "], got " + value);
        }
    }

    /** A finite number > 0 (learning rates, temperatures, tolerances). */
    static void positive(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be a finite number > 0, got " + format(value));
        }
    }

    /** A finite number >= 0 ({@code meaning} says what 0 does). */
    static void nonNegative(String option, double value, String meaning) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be a finite number >= 0" + meaning + ", got "
                    + format(value));
        }
    }

    /** A probability: a number in [0, 1]. */
    static void probability(String option, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(option + " must be in [0, 1], got " + format(value));
        }
    }

    /** A non-empty text (column names). */
    static void present(String option, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(option + " must not be empty");
        }
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%s", v);
    }
}
