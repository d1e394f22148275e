package org.layerfuse.weights.artifact;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.layerfuse.engine.CacheDirectory;
import org.layerfuse.engine.ProcessLock;

/**
 * Finds a jar in the local Maven repository and, if it is not there, downloads it from a remote
 * repository into the same layout, so Maven and LayerFuse share one copy.
 *
 * <p>Local repository: system property {@code maven.repo.local}, else {@code ~/.m2/repository}.
 * Remote: system property {@code layerfuse.maven.repo}, else Maven Central. Maven's
 * {@code settings.xml} (mirrors, a relocated local repository) is not read: pass those two
 * properties instead. A download is checked against the remote {@code .sha1} file, written to
 * a temporary file beside the target and moved into place atomically, so a failed or corrupt
 * download never leaves a file behind.
 */
public final class MavenArtifactResolver {

    public static final String CENTRAL = "https://repo1.maven.org/maven2/";
    public static final String LOCAL_REPO_PROPERTY = "maven.repo.local";
    public static final String REMOTE_REPO_PROPERTY = "layerfuse.maven.repo";
    private static final long PROGRESS_THRESHOLD = 1L << 20;

    private final Path localRepository;
    private final URI remote;
    private final PrintStream progress;

    /**
     * @param remote   repository root ({@code https://…/maven2/} or {@code file:/…/}); a trailing
     *                 slash is added if missing
     * @param progress where download progress lines go (stderr by default)
     */
    public MavenArtifactResolver(Path localRepository, URI remote, PrintStream progress) {
        this.localRepository = localRepository;
        String r = remote.toString();
        this.remote = URI.create(r.endsWith("/") ? r : r + "/");
        this.progress = progress;
    }

    /** The resolver configured by {@code maven.repo.local} and {@code layerfuse.maven.repo}. */
    public static MavenArtifactResolver fromSystemProperties() {
        String local = System.getProperty(LOCAL_REPO_PROPERTY);
        Path localRepo = local == null || local.isBlank()
                ? Path.of(System.getProperty("user.home"), ".m2", "repository") : Path.of(local);
        String remote = System.getProperty(REMOTE_REPO_PROPERTY);
        return new MavenArtifactResolver(localRepo, URI.create(remote == null || remote.isBlank() ? CENTRAL : remote),
                System.err);
    }

    public Path localRepository() {
        return localRepository;
    }

    public URI remote() {
        return remote;
    }

    /** The artifact's jar in the local repository, downloaded first if absent. */
    public Path resolve(MavenArtifact artifact) {
        Path target = localRepository.resolve(artifact.repositoryPath());
        if (Files.isRegularFile(target)) {
            return target;
        }
        try (ProcessLock filling = CacheDirectory.fillLock(target)) {
            if (!Files.isRegularFile(target)) { // else fetched by another process while this one waited
                download(artifact, target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(artifact + ": cannot lock " + target + " for the download: " + e, e);
        }
        return target;
    }

    private void download(MavenArtifact artifact, Path target) {
        URI jar = remote.resolve(artifact.repositoryPath());
        URI sha1 = URI.create(jar + ".sha1");
        String expected = expectedSha1(artifact, sha1);
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".part");
            String actual = copyHashing(artifact, jar, tmp);
            if (!actual.equals(expected)) {
                throw new IllegalStateException(artifact + ": the SHA-1 of " + jar + " is " + actual + " but " + sha1
                        + " says " + expected + "; the download was discarded");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileNotFoundException e) {
            throw new UncheckedIOException(artifact + " is neither in the local repository " + localRepository
                    + " nor at " + jar, e);
        } catch (IOException e) {
            throw new UncheckedIOException(artifact + ": download from " + jar + " to " + target + " failed: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    progress.println("could not delete the partial download " + tmp + ": " + e.getMessage());
                }
            }
        }
    }

    /** The checksum from the remote {@code .sha1} file: its first word, 40 hex digits. */
    private String expectedSha1(MavenArtifact artifact, URI sha1) {
        String text;
        try (InputStream in = open(sha1).getInputStream()) {
            text = new String(in.readNBytes(4096), StandardCharsets.US_ASCII).trim();
        } catch (FileNotFoundException e) {
            throw new UncheckedIOException(artifact + " is neither in the local repository " + localRepository
                    + " nor at " + remote + " (no checksum " + sha1 + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(artifact + ": cannot read the checksum " + sha1 + ": " + e, e);
        }
        String word = text.isEmpty() ? "" : text.split("\\s+")[0].toLowerCase(Locale.ROOT);
        if (!word.matches("[0-9a-f]{40}")) {
            throw new IllegalStateException(artifact + ": " + sha1 + " does not hold a SHA-1 (40 hex digits), it starts"
                    + " with '" + text.substring(0, Math.min(60, text.length())) + "'");
        }
        return word;
    }

    private String copyHashing(MavenArtifact artifact, URI from, Path to) throws IOException {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1", e);
        }
        URLConnection c = open(from);
        long total = c.getContentLengthLong();
        boolean report = total < 0 || total >= PROGRESS_THRESHOLD;
        if (report) {
            progress.printf(Locale.ROOT, "Downloading %s from %s (%s)%n", artifact, from,
                    total < 0 ? "size unknown" : megabytes(total) + " MB");
        }
        try (InputStream in = c.getInputStream(); OutputStream out = Files.newOutputStream(to)) {
            byte[] buf = new byte[1 << 16];
            long done = 0;
            long nextReport = step(total);
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                sha1.update(buf, 0, n);
                done += n;
                if (report && done >= nextReport) {
                    progress.printf(Locale.ROOT, "  %s: %s MB%s%n", artifact.artifactId(), megabytes(done),
                            total > 0 ? " of " + megabytes(total) + " (" + (100 * done / total) + "%)" : "");
                    nextReport += step(total);
                }
            }
        }
        return HexFormat.of().formatHex(sha1.digest());
    }

    /** Bytes between progress lines: a tenth of the file, or 10 MB when the size is unknown. */
    private static long step(long total) {
        return total > 0 ? Math.max(1, total / 10) : 10L << 20;
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1e6);
    }

    private static URLConnection open(URI uri) throws IOException {
        URLConnection c = uri.toURL().openConnection();
        c.setConnectTimeout(30_000);
        c.setReadTimeout(60_000);
        c.setUseCaches(false);
        return c;
    }

    @Override
    public String toString() {
        return "MavenArtifactResolver[local=" + localRepository + ", remote=" + remote + "]";
    }
}
