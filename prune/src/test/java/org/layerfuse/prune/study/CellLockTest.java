package org.layerfuse.prune.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-cell lock: exclusive across processes and threads, and dropped by the kernel when its holder is killed. */
class CellLockTest {

    @Test
    void aKilledHolderLeavesNoStaleLockAndItsHalfWrittenFilesAreDeleted(@TempDir Path cell) throws Exception {
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), CellLockHolder.class.getName(), cell.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            for (String line = out.readLine(); !"held".equals(line); line = out.readLine()) {
                assertTrue(line != null, "the holder JVM exited before taking the lock");
            }
            assertTrue(CellLock.holder(cell).contains("holder pid " + holder.pid()), CellLock.holder(cell));
            assertTrue(CellLock.tryAcquire(cell, "second").isEmpty(), "another process holds the cell");
            Files.writeString(cell.resolve("step-001.json.tmp"), "{\"step\": 1, \"acc");
            Files.writeString(cell.resolve("step-000.json"), "{}");
        } finally {
            holder.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            holder.waitFor();
        }
        Optional<CellLock> lock = CellLock.tryAcquire(cell, "second");
        assertTrue(lock.isPresent(), "the kernel released the killed holder's lock");
        try (CellLock l = lock.get()) {
            assertEquals("second", CellLock.holder(cell));
            assertFalse(Files.exists(cell.resolve("step-001.json.tmp")), "the half-written step is gone");
            assertTrue(Files.exists(cell.resolve("step-000.json")), "finished steps are kept");
        }
    }

    @Test
    void threadsOfOneJvmExcludeEachOther(@TempDir Path cell) throws Exception {
        try (CellLock first = CellLock.acquire(cell, "first")) {
            Optional<CellLock>[] seen = new Optional[1];
            Thread other = new Thread(() -> {
                try {
                    seen[0] = CellLock.tryAcquire(cell, "other");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            other.start();
            other.join();
            assertTrue(seen[0].isEmpty(), "a second thread does not get a held cell");
        }
        try (CellLock again = CellLock.tryAcquire(cell, "again").orElseThrow()) {
            assertEquals("again", CellLock.holder(cell));
        }
    }
}
