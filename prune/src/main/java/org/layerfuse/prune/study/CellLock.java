package org.layerfuse.prune.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.layerfuse.engine.ProcessLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exclusive right of one attempt to write a cell's directory, so that a retried task and a
 * speculative duplicate of the same cell never interleave their writes: the second attempt
 * waits, then resumes from whatever the first finished (nothing to do when the cell is
 * complete). A {@link ProcessLock} on {@code <cell>/cell.lock}: the kernel drops it the moment
 * its process dies, so an attempt killed with {@code kill -9} never leaves a stale lock, and
 * the file names the current (or last) attempt.
 *
 * <p>On acquiring, leftovers of a killed attempt ({@code *.tmp} files of a step or model being
 * written when it died) are deleted: no other attempt can be writing them.
 */
public final class CellLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CellLock.class);
    public static final String FILE_NAME = "cell.lock";

    private final ProcessLock lock;

    private CellLock(ProcessLock lock) {
        this.lock = lock;
    }

    /**
     * Blocks until this attempt holds the cell; interruptible (a killed Spark task stops waiting).
     *
     * @param attempt who is asking, written into the lock file while held
     */
    public static CellLock acquire(Path cellDir, String attempt) throws IOException {
        Optional<CellLock> now = tryAcquire(cellDir, attempt);
        if (now.isPresent()) {
            return now.get();
        }
        LOG.info("cell {} is held by {}; attempt {} waits", cellDir, holder(cellDir), attempt);
        return held(cellDir, ProcessLock.acquire(cellDir.resolve(FILE_NAME), attempt));
    }

    /** The cell's lock if no other attempt holds it now, else empty (never waits). */
    public static Optional<CellLock> tryAcquire(Path cellDir, String attempt) throws IOException {
        Optional<ProcessLock> lock = ProcessLock.tryAcquire(cellDir.resolve(FILE_NAME), attempt);
        return lock.isPresent() ? Optional.of(held(cellDir, lock.get())) : Optional.empty();
    }

    /** Who holds (or last held) the cell, as written in its lock file. */
    public static String holder(Path cellDir) throws IOException {
        return ProcessLock.holder(cellDir.resolve(FILE_NAME));
    }

    private static CellLock held(Path cellDir, ProcessLock lock) throws IOException {
        try (Stream<Path> files = Files.list(cellDir)) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().endsWith(".tmp")) {
                    LOG.info("deleting {}, left by an attempt that did not finish writing it", p);
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return new CellLock(lock);
    }

    @Override
    public void close() throws IOException {
        lock.close();
    }
}
