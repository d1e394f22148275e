package org.layerfuse.prune.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import org.layerfuse.engine.CacheDirectory;
import org.layerfuse.engine.ProcessLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a {@link RemoteFile} into a directory the first time it is asked for. The bytes go to
 * a temporary file beside the target while SHA-1 and SHA-512 are computed; only when the length
 * (if the server sent one) and both checksums match is it atomically moved into place, so the
 * cache never holds a partial or wrong file. Any failure deletes the temporary file. Works for
 * {@code http(s):} and {@code file:} URIs. Progress goes to one stderr line. Processes and threads
 * fetching the same file at once take turns ({@link CacheDirectory#fillLock}): one downloads.
 */
public final class CachedDownload {

    private static final Logger LOG = LoggerFactory.getLogger(CachedDownload.class);
    private static final int TIMEOUT_MS = 60_000;

    private CachedDownload() {
    }

    /** The path of {@code file} in {@code directory}, downloading and verifying it first if absent. */
    public static Path fetch(RemoteFile file, Path directory) throws IOException {
        Path target = directory.resolve(file.fileName());
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(directory);
        try (ProcessLock filling = CacheDirectory.fillLock(target)) {
            if (Files.isRegularFile(target)) {
                return target; // another process or thread fetched it while this one waited
            }
            Path partial = Files.createTempFile(directory, file.fileName() + ".", ".part");
            boolean moved = false;
            try {
                download(file, partial);
                try {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
                }
                moved = true;
                return target;
            } finally {
                if (!moved) {
                    Files.deleteIfExists(partial);
                }
            }
        }
    }

    private static void download(RemoteFile file, Path partial) throws IOException {
        long start = System.nanoTime();
        URLConnection connection = file.uri().toURL().openConnection();
        connection.setConnectTimeout(TIMEOUT_MS);
        connection.setReadTimeout(TIMEOUT_MS);
        if (connection instanceof HttpURLConnection http && http.getResponseCode() != HttpURLConnection.HTTP_OK) {
            throw new IOException("download of " + file.fileName() + " from " + file.uri() + " failed: HTTP "
                    + http.getResponseCode() + " " + http.getResponseMessage());
        }
        long length = connection.getContentLengthLong();
        LOG.info("Downloading {} ({}) from {}", file.fileName(), length >= 0 ? megabytes(length) : "size unknown", file.uri());
        MessageDigest sha1 = digest("SHA-1");
        MessageDigest sha512 = digest("SHA-512");
        long copied = 0;
        try (InputStream in = connection.getInputStream(); OutputStream out = Files.newOutputStream(partial)) {
            byte[] buffer = new byte[1 << 16];
            int shownTenth = -1;
            for (int n; (n = in.read(buffer)) != -1; ) {
                out.write(buffer, 0, n);
                sha1.update(buffer, 0, n);
                sha512.update(buffer, 0, n);
                copied += n;
                if (length > 0 && 10 * copied / length > shownTenth) {
                    shownTenth = (int) (10 * copied / length);
                    System.err.print("\r  " + file.fileName() + ": " + 10 * shownTenth + "% of " + megabytes(length));
                }
            }
        } catch (IOException e) {
            throw new IOException("download of " + file.fileName() + " from " + file.uri() + " failed after " + copied
                    + (length >= 0 ? " of " + length : "") + " bytes: " + e, e);
        } finally {
            if (length > 0) {
                System.err.println();
            }
        }
        if (length >= 0 && copied != length) {
            throw new IOException("download of " + file.fileName() + " from " + file.uri() + " is incomplete: got "
                    + copied + " of " + length + " bytes");
        }
        String gotSha1 = HexFormat.of().formatHex(sha1.digest());
        String gotSha512 = Base64.getEncoder().encodeToString(sha512.digest());
        if (!gotSha1.equals(file.sha1()) || !gotSha512.equals(file.sha512Base64())) {
            throw new IOException("checksum mismatch for " + file.fileName() + " from " + file.uri() + " (" + copied
                    + " bytes): expected sha1 " + file.sha1() + " and " + file.integrity() + ", got sha1 " + gotSha1
                    + " and sha512-" + gotSha512);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.info("Downloaded {} ({}) in {} s, sha1 and sha512 verified", file.fileName(), megabytes(copied),
                String.format(Locale.ROOT, "%.1f", seconds));
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every JVM", e);
        }
    }
}
