package org.layerfuse.prune.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exclusive use of an output directory by one run: {@value #FILE_NAME} in the directory, created
 * atomically (create-new), holds the owner's pid, host, start time and command. A second run
 * pointed at the same directory refuses, naming the one that holds it. A lock left by a run that
 * died (its pid is gone on this host) is taken over, with a log line; a lock of another host is
 * never taken over, since its process cannot be checked from here.
 *
 * <p>Creating the lock is also the first write into the directory, so a read-only or full
 * location fails here, before any work, with the path and the reason.
 *
 * <p>Within one JVM the thread that holds a directory may take it again (a command that locks
 * its output and then runs a {@code StudyRunner}, which locks it too); the lock file goes when
 * the outermost holder closes.
 */
public final class OutputLock implements AutoCloseable {

    public static final String FILE_NAME = ".layerfuse.lock";
    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);

    /** Directories locked by this JVM, with the thread holding each and how many times it took it. */
    private static final Map<Path, Holder> HELD = new HashMap<>();

    private static final class Holder {
        final Thread thread;
        final String contents;
        int count = 1;

        Holder(Thread thread, String contents) {
            this.thread = thread;
            this.contents = contents;
        }
    }

    private final Path file;
    private final String contents;
    private final Path key;
    private boolean closed;

    private OutputLock(Path file, String contents, Path key) {
        this.file = file;
        this.contents = contents;
        this.key = key;
    }

    /** The owner of a lock, as written in its file. */
    public record Owner(long pid, String host, String started, String command) {

        @Override
        public String toString() {
            return "pid " + pid + " on " + host + ", started " + started + (command.isEmpty() ? "" : " (" + command + ")");
        }
    }

    /**
     * Takes the directory (creating it) for this process.
     *
     * @param command what runs there, written into the lock for whoever finds it
     * @throws IllegalStateException   when another live run holds the directory
     * @throws UncheckedIOException    when the directory or the lock cannot be written (read-only, full, not a
     *                                 directory), naming the path and the reason
     */
    public static OutputLock acquire(Path dir, String command) {
        Path file = dir.resolve(FILE_NAME);
        Path key = dir.toAbsolutePath().normalize();
        synchronized (HELD) {
            Holder h = HELD.get(key);
            if (h != null) {
                if (h.thread != Thread.currentThread()) {
                    throw new IllegalStateException(dir + " is in use by another LayerFuse run in this process ("
                            + readOwner(file) + ", thread " + h.thread.getName() + "); choose another --out");
                }
                h.count++;
                return new OutputLock(file, h.contents, key);
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use output directory " + dir + ": " + IoErrors.describe(e), e);
        }
        ProcessHandle self = ProcessHandle.current();
        String contents = "pid=" + self.pid() + "\nhost=" + hostName() + "\nstarted=" + Instant.now() + "\ncommand="
                + command.replace('\n', ' ') + "\n";
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                Files.write(file, contents.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                synchronized (HELD) {
                    HELD.put(key, new Holder(Thread.currentThread(), contents));
                }
                return new OutputLock(file, contents, key);
            } catch (FileAlreadyExistsException e) {
                Owner owner = readOwner(file);
                if (owner == null) {
                    continue; // released between our attempt and the read: try again
                }
                if (!isStale(owner)) {
                    throw new IllegalStateException(dir + " is in use by another LayerFuse run (" + owner + "); wait "
                            + "for it to finish or choose another --out. If that run is gone, delete " + file);
                }
                LOG.warn("taking over the stale lock {} of a run that is no longer running ({})", file, owner);
                try {
                    Files.deleteIfExists(file);
                } catch (IOException d) {
                    throw new UncheckedIOException("cannot remove the stale lock " + file + ": " + IoErrors.describe(d), d);
                }
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // the write error is what matters
                }
                throw new UncheckedIOException("cannot write to output directory " + dir + " (lock file " + file
                        + "): " + IoErrors.describe(e), e);
            }
        }
        throw new IllegalStateException(dir + ": could not take the lock " + file + " (it keeps changing hands)");
    }

    /** The owner recorded in a lock file, or null when there is no file any more. */
    public static Owner readOwner(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read lock file " + file + ": " + IoErrors.describe(e), e);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        long pid;
        try {
            pid = Long.parseLong(fields.getOrDefault("pid", "-1"));
        } catch (NumberFormatException e) {
            pid = -1;
        }
        return new Owner(pid, fields.getOrDefault("host", "?"), fields.getOrDefault("started", "?"),
                fields.getOrDefault("command", ""));
    }

    /** Stale: written on this host by a process that no longer runs (or unreadable, e.g. cut short by a crash). */
    static boolean isStale(Owner owner) {
        if (owner.pid() <= 0) {
            return true; // no pid: the lock's writer died between creating it and writing it
        }
        if (!owner.host().equals(hostName())) {
            return false;
        }
        return ProcessHandle.of(owner.pid()).map(p -> !p.isAlive()).orElse(true);
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown-host";
        }
    }

    public Path file() {
        return file;
    }

    /** Releases the directory, unless the lock was meanwhile replaced by someone else's. */
    @Override
    public void close() {
        synchronized (HELD) {
            if (closed) {
                return;
            }
            closed = true;
            Holder h = HELD.get(key);
            if (h != null && --h.count > 0) {
                return;
            }
            HELD.remove(key);
        }
        try {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).equals(contents)) {
                Files.delete(file);
            }
        } catch (IOException e) {
            LOG.warn("could not remove the lock {}: {}", file, IoErrors.describe(e));
        }
    }
}
