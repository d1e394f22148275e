package org.layerfuse.prune.study;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exclusive right of one attempt to write a cell's directory, so that a retried task and a
 * speculative duplicate of the same cell never interleave their writes: the second attempt
 * waits, then resumes from whatever the first finished (nothing to do when the cell is
 * complete). The lock is an operating-system lock on {@code <cell>/cell.lock}
 * ({@link FileChannel#lock()}, fcntl on Linux, NLM / NFSv4 leases on NFS), which the kernel
 * drops the moment its process dies, so an attempt killed with {@code kill -9} never leaves
 * a stale lock behind. Threads of one JVM also exclude each other (the OS lock is per
 * process). The file holds the current holder's attempt id, for people and for the log.
 *
 * <p>On acquiring, leftovers of a killed attempt ({@code *.tmp} files of a step or model being
 * written when it died) are deleted: no other attempt can be writing them.
 */
public final class CellLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CellLock.class);
    public static final String FILE_NAME = "cell.lock";
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_THIS_JVM = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private CellLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Blocks until this attempt holds the cell; interruptible (a killed Spark task stops waiting).
     *
     * @param attempt who is asking, written into the lock file while held
     */
    public static CellLock acquire(Path cellDir, String attempt) throws IOException {
        Files.createDirectories(cellDir);
        Path file = cellDir.resolve(FILE_NAME).toAbsolutePath().normalize();
        ReentrantLock local = IN_THIS_JVM.computeIfAbsent(file, f -> new ReentrantLock());
        if (!local.tryLock()) {
            LOG.info("cell {} is being run by another thread of this JVM; attempt {} waits", cellDir, attempt);
            try {
                local.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for cell " + cellDir, e);
            }
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                LOG.info("cell {} is held by {}; attempt {} waits", cellDir, holder(channel), attempt);
                lock = channel.lock();
            }
            return held(cellDir, attempt, local, channel, lock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            local.unlock();
            throw e;
        }
    }

    /** The cell's lock if no other attempt holds it now, else empty (never waits). */
    public static java.util.Optional<CellLock> tryAcquire(Path cellDir, String attempt) throws IOException {
        Files.createDirectories(cellDir);
        Path file = cellDir.resolve(FILE_NAME).toAbsolutePath().normalize();
        ReentrantLock local = IN_THIS_JVM.computeIfAbsent(file, f -> new ReentrantLock());
        if (!local.tryLock()) {
            return java.util.Optional.empty();
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                local.unlock();
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(held(cellDir, attempt, local, channel, lock));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            local.unlock();
            throw e;
        }
    }

    private static CellLock held(Path cellDir, String attempt, ReentrantLock local, FileChannel channel, FileLock lock)
            throws IOException {
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((attempt + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        deleteLeftovers(cellDir);
        return new CellLock(local, channel, lock);
    }

    /** Who holds (or last held) the cell, as written in its lock file. */
    public static String holder(Path cellDir) throws IOException {
        Path file = cellDir.resolve(FILE_NAME);
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(512);
            int n = channel.read(b, 0);
            return n <= 0 ? "another attempt" : new String(b.array(), 0, n, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "another attempt";
        }
    }

    private static void deleteLeftovers(Path cellDir) throws IOException {
        try (Stream<Path> files = Files.list(cellDir)) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().endsWith(".tmp")) {
                    LOG.info("deleting {}, left by an attempt that did not finish writing it", p);
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            local.unlock();
        }
    }
}
