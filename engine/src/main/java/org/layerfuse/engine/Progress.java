package org.layerfuse.engine;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar with rate and ETA for long loops, written to a stream (stderr by
 * default). On a terminal it redraws in place; otherwise (CI logs, files) it prints a line at
 * most every {@code minIntervalMillis} and at the end, so logs stay short.
 */
public final class Progress implements AutoCloseable {

    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean interactive;
    private final long minIntervalNanos;
    private final long startNanos;
    private long done;
    private long lastPrintNanos;
    private String status = "";

    public Progress(String label, long total) {
        this(label, total, System.err, System.console() != null, 10_000);
    }

    public Progress(String label, long total, PrintStream out, boolean interactive, long minIntervalMillis) {
        if (total < 0) {
            throw new IllegalArgumentException("total must be >= 0, got " + total);
        }
        this.label = label;
        this.total = total;
        this.out = out;
        this.interactive = interactive;
        this.minIntervalNanos = (interactive ? 200 : minIntervalMillis) * 1_000_000L;
        this.startNanos = System.nanoTime();
        this.lastPrintNanos = startNanos;
    }

    /** Marks {@code n} more units done, with a short status (e.g. the current loss). */
    public void step(long n, String newStatus) {
        done = Math.min(total, done + n);
        status = newStatus == null ? "" : newStatus;
        long now = System.nanoTime();
        if (done == total || now - lastPrintNanos >= minIntervalNanos) {
            lastPrintNanos = now;
            print(now);
        }
    }

    public void step(String newStatus) {
        step(1, newStatus);
    }

    public long done() {
        return done;
    }

    /** Seconds elapsed since the bar was created. */
    public double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private void print(long now) {
        double elapsed = (now - startNanos) / 1e9;
        double rate = done / Math.max(elapsed, 1e-9);
        double eta = done == 0 ? Double.NaN : (total - done) / rate;
        int width = 24;
        int filled = total == 0 ? width : (int) (width * done / total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        String line = String.format(Locale.ROOT, "%s [%s] %d/%d %3.0f%% %s elapsed %s ETA %s", label, bar, done, total,
                total == 0 ? 100.0 : 100.0 * done / total, status, duration(elapsed), duration(eta));
        if (interactive) {
            out.print("\r" + line + (done == total ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Formats seconds as h:mm:ss or m:ss. */
    public static String duration(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        if (done < total) {
            print(System.nanoTime());
        }
    }
}
