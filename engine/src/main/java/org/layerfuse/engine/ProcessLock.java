package org.layerfuse.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a file, across processes and across the threads of one JVM: an
 * operating-system lock ({@link FileChannel#lock()}: fcntl on Linux, NLM / NFSv4 leases on
 * NFS), which the kernel drops the moment its process dies (even by SIGKILL), so no lock is
 * ever left stale; plus a lock per file in this JVM, because the OS lock belongs to the
 * process. While held, the file names its holder, for people and logs.
 */
public final class ProcessLock implements AutoCloseable {

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_THIS_JVM = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private ProcessLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits until this thread holds {@code file} (created if absent); interruptible. */
    public static ProcessLock acquire(Path file, String holder) throws IOException {
        return take(file, holder, true).orElseThrow();
    }

    /** The lock if nobody holds it now, else empty; never waits. */
    public static Optional<ProcessLock> tryAcquire(Path file, String holder) throws IOException {
        return take(file, holder, false);
    }

    /** Who holds (or last held) {@code file}. */
    public static String holder(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
    }

    /** This process and thread, as a holder name. */
    public static String thisThread() {
        return "pid " + ProcessHandle.current().pid() + " thread " + Thread.currentThread().getName();
    }

    private static Optional<ProcessLock> take(Path file, String holder, boolean wait) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        Files.createDirectories(key.getParent());
        ReentrantLock local = IN_THIS_JVM.computeIfAbsent(key, f -> new ReentrantLock());
        if (!local.tryLock()) {
            if (!wait) {
                return Optional.empty();
            }
            try {
                local.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + file, e);
            }
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = wait ? channel.lock() : channel.tryLock();
            if (lock == null) {
                channel.close();
                local.unlock();
                return Optional.empty();
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return Optional.of(new ProcessLock(local, channel, lock));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            local.unlock();
            throw e;
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
