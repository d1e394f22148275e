package org.layerfuse.prune.data;

import java.nio.file.Path;

/**
 * Where downloaded and derived files live: {@code ~/.cache/layerfuse/}, or the directory named
 * by system property {@code layerfuse.cache}, else environment variable {@code LAYERFUSE_CACHE}.
 */
public final class CacheDirectory {

    private CacheDirectory() {
    }

    public static Path root() {
        String property = System.getProperty("layerfuse.cache");
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String env = System.getenv("LAYERFUSE_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "layerfuse");
    }

    /** {@code <root>/data}: corpora and their parsed forms. */
    public static Path data() {
        return root().resolve("data");
    }
}
