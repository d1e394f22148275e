package org.layerfuse.bert;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a reader of outside bytes may do with a bad file, for the fuzz targets: return normally,
 * or raise its documented format error (an {@link IllegalArgumentException}, or the reader's own
 * exception type) whose message names the file. Anything else (an index or null-pointer
 * exception, a negative array size, an out-of-memory error, a hang caught by the per-input
 * timeout) propagates and is reported by Jazzer as a finding.
 */
public final class FormatErrorContract {

    /** A reader run against one input. */
    @FunctionalInterface
    public interface Read {
        void run() throws Exception;
    }

    private FormatErrorContract() {
    }

    /**
     * Runs {@code read}; a format error must name {@code source}.
     *
     * @param documented the reader's own checked or unchecked format exception besides IllegalArgumentException
     */
    @SafeVarargs
    public static void check(String source, Read read, Class<? extends Exception>... documented) {
        try {
            read.run();
        } catch (IllegalArgumentException e) {
            requireNames(source, e);
        } catch (UncheckedIOException e) {
            // Only a real I/O failure of the temporary file would be an I/O error here; a reader that
            // reports bad content this way still has to say which file.
            requireNames(source, e);
        } catch (Exception e) {
            for (Class<? extends Exception> c : documented) {
                if (c.isInstance(e)) {
                    requireNames(source, e);
                    return;
                }
            }
            throw new AssertionError("undocumented exception for a malformed input: " + e, e);
        }
    }

    private static void requireNames(String source, Exception e) {
        String m = e.getMessage();
        if (m == null || !m.contains(source)) {
            throw new AssertionError("the error does not name the file " + source + ": " + m, e);
        }
    }

    /** A file in a fresh temporary folder (on tmpfs where there is one), reused for every input of a target. */
    public static Path scratchFile(String name) {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "layerfuse-fuzz") : Files.createTempDirectory("layerfuse-fuzz");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(name);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
