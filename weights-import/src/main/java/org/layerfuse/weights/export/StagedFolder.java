package org.layerfuse.weights.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A folder assembled in a hidden temporary directory beside its target and renamed into place
 * by {@link #commit}, so the target is either untouched or the complete new folder; closing
 * without a commit deletes the temporary directory. A non-empty target is refused unless
 * {@code overwrite}; an overwritten folder is moved aside first and deleted only after the new
 * one is in place.
 */
public final class StagedFolder implements AutoCloseable {

    private final Path target;
    private final boolean existing;
    private Path dir;

    private StagedFolder(Path target, boolean existing, Path dir) {
        this.target = target;
        this.existing = existing;
        this.dir = dir;
    }

    /**
     * @throws IllegalArgumentException if {@code target} is a file, or a non-empty directory without {@code overwrite}
     */
    public static StagedFolder begin(Path target, boolean overwrite) {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new IllegalArgumentException(target + ": exists and is not a directory");
        }
        boolean existing = Files.isDirectory(target) && !isEmpty(target);
        if (existing && !overwrite) {
            throw new IllegalArgumentException(target + ": directory is not empty; refusing to overwrite it"
                    + " (choose another folder or pass --overwrite)");
        }
        Path parent = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
            return new StagedFolder(target, existing, Files.createTempDirectory(parent, "." + target.getFileName() + "."));
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot create a temporary folder beside it: " + e.getMessage(), e);
        }
    }

    /** The temporary directory to write the files into. */
    public Path dir() {
        if (dir == null) {
            throw new IllegalStateException(target + ": already committed");
        }
        return dir;
    }

    /** Renames the finished folder into place. */
    public void commit() {
        Path tmp = dir();
        try {
            if (Files.isDirectory(target) && !existing) {
                Files.delete(target); // empty
            }
            Path old = null;
            if (existing) {
                old = Files.createTempDirectory(tmp.getParent(), "." + target.getFileName() + ".old.");
                Files.delete(old);
                move(target, old);
            }
            try {
                move(tmp, target);
            } catch (IOException e) {
                if (old != null) {
                    move(old, target);
                }
                throw e;
            }
            dir = null;
            deleteQuietly(old);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": moving the finished folder into place failed: " + e.getMessage(),
                    e);
        }
    }

    @Override
    public void close() {
        deleteQuietly(dir);
        dir = null;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
