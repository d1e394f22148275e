package org.layerfuse.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where LayerFuse keeps downloaded and derived files (extracted models, corpora and their
 * parsed forms): the system property {@code layerfuse.cache}, else the environment variable
 * {@code LAYERFUSE_CACHE}, else {@code ~/.cache/layerfuse}. Never inside the repository.
 */
public final class CacheDirectory {

    public static final String PROPERTY = "layerfuse.cache";
    public static final String ENVIRONMENT = "LAYERFUSE_CACHE";

    private CacheDirectory() {
    }

    public static Path root() {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(ENVIRONMENT);
        }
        if (dir == null || dir.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "layerfuse");
        }
        return Path.of(dir);
    }

    /** {@code <root>/data}: corpora and their parsed forms. */
    public static Path data() {
        return root().resolve("data");
    }

    /** {@code <root>/models}: model files extracted from artifacts. */
    public static Path models() {
        return root().resolve("models");
    }

    /**
     * Held while a cache entry ({@code target}) is filled, so that processes on one host (e.g.
     * two Spark executors starting at once) and threads do not download or extract the same
     * thing twice: the second waits, then finds the entry there. Correctness does not depend on
     * it (entries are written to a temporary file and moved into place atomically); it saves
     * the duplicate work. The lock file lives in {@code java.io.tmpdir}, named by the target's
     * path, so the cache directories hold only their entries.
     */
    public static ProcessLock fillLock(Path target) throws IOException {
        String path = target.toAbsolutePath().normalize().toString();
        String name;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
            name = HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "layerfuse-cache-locks",
                target.getFileName() + "." + name + ".lock");
        return ProcessLock.acquire(file, ProcessLock.thisThread() + " filling " + path);
    }
}
