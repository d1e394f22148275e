package org.layerfuse.prune.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run per output directory; a dead run's lock is taken over; an unwritable location fails at once. */
public class OutputLockTest {

    /** Writes a lock as a run of {@code pid} on {@code host} would have. */
    public static void writeLock(Path dir, long pid, String host) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(OutputLock.FILE_NAME), "pid=" + pid + "\nhost=" + host
                + "\nstarted=2026-11-30T05:00:00Z\ncommand=layerfuse study\n");
    }

    @Test
    void aSecondRunOfAnotherProcessIsRefusedNamingTheRunningOne(@TempDir Path dir) throws Exception {
        // Another live process on this host holds the directory: a child we start and stop ourselves.
        Process other = new ProcessBuilder("sleep", "600").start();
        try {
            writeLock(dir, other.pid(), OutputLock.hostName());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> OutputLock.acquire(dir, "layerfuse study"));
            assertTrue(e.getMessage().contains("in use by another LayerFuse run (pid " + other.pid() + " on "
                    + OutputLock.hostName() + ", started 2026-11-30T05:00:00Z"), e.getMessage());
            assertTrue(Files.exists(dir.resolve(OutputLock.FILE_NAME)), "the running one's lock stays");
        } finally {
            other.destroy();
            other.waitFor();
        }
        // Now its pid is dead: the lock is stale and taken over.
        try (OutputLock lock = OutputLock.acquire(dir, "layerfuse study")) {
            assertEquals(ProcessHandle.current().pid(), OutputLock.readOwner(lock.file()).pid());
        }
        assertFalse(Files.exists(dir.resolve(OutputLock.FILE_NAME)), "released on close");
    }

    @Test
    void aLockOfAnotherHostIsNeverTakenOver(@TempDir Path dir) throws IOException {
        writeLock(dir, 1, "some-other-host.example");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OutputLock.acquire(dir, "x"));
        assertTrue(e.getMessage().contains("some-other-host.example") && e.getMessage().contains("delete"),
                e.getMessage());
    }

    @Test
    void anEmptyLockLeftByACrashIsStale(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(OutputLock.FILE_NAME), "");
        OutputLock.acquire(dir, "x").close();
    }

    @Test
    void twoRunsInOneProcessExcludeEachOtherButOneThreadMayNest(@TempDir Path dir) throws Exception {
        try (OutputLock outer = OutputLock.acquire(dir, "layerfuse prune")) {
            OutputLock.acquire(dir, "study runner").close(); // the command, then its StudyRunner
            assertTrue(Files.exists(outer.file()), "the inner close keeps the outer's lock");
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> CompletableFuture.runAsync(() -> OutputLock.acquire(dir, "second")).get());
            assertTrue(e.getCause().getMessage().contains("in use by another LayerFuse run"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve(OutputLock.FILE_NAME)));
    }

    @Test
    void anOutputLocationThatIsNotADirectoryFailsNamingThePath(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("results");
        Files.writeString(file, "keep me");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> OutputLock.acquire(file.resolve("study"), "x"));
        assertTrue(e.getMessage().contains(file.resolve("study").toString()), e.getMessage());
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void aReadOnlyDirectoryFailsAtTheFirstWriteAndKeepsItsFiles(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("study.json"), "{}");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            // root ignores permission bits; the test means something only where they apply
            assumeTrue(!Files.isWritable(dir), "permission bits are not enforced for this user");
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> OutputLock.acquire(dir, "x"));
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("permission denied"),
                    e.getMessage());
            assertEquals("{}", Files.readString(dir.resolve("study.json")));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aFullDiskFailsTheWriteNamingThePathAndKeepsTheOldFile(@TempDir Path dir) throws IOException {
        Path devFull = Path.of("/dev/full");
        assumeTrue(Files.exists(devFull), "needs /dev/full (Linux), whose writes fail with ENOSPC");
        Path record = dir.resolve("step-001.json");
        Files.writeString(record, "{\"old\": true}");
        // The atomic write goes through <name>.tmp; pointing it at /dev/full makes that write hit a full device.
        Files.createSymbolicLink(dir.resolve("step-001.json.tmp"), devFull);
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> RunDirectory.writeText(record, "{\"new\": true}"));
        assertTrue(e.getMessage().contains(record.toString()) && e.getMessage().contains("No space left on device"),
                e.getMessage());
        assertEquals("{\"old\": true}", Files.readString(record), "what was there is intact");
        assertFalse(Files.exists(dir.resolve("step-001.json.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "no temporary file is left behind");
    }
}
