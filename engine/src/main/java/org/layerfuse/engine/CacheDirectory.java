package org.layerfuse.engine;

import java.nio.file.Path;

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
}
