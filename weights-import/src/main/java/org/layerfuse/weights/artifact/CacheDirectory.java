package org.layerfuse.weights.artifact;

import java.nio.file.Path;

/**
 * Where LayerFuse keeps files it derives from downloaded artifacts (extracted models): the
 * system property {@code layerfuse.cache}, else the environment variable {@code LAYERFUSE_CACHE},
 * else {@code ~/.cache/layerfuse}.
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
}
