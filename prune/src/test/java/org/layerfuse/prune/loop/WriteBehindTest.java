package org.layerfuse.prune.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Writes behind the computation: in order, off the caller's thread, awaited, failures surfaced. */
class WriteBehindTest {

    @Test
    void writesRunInOrderOnAnotherThreadAndAwaitWaitsForAll() {
        List<Integer> done = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        try (WriteBehind writes = new WriteBehind()) {
            writes.submit(() -> {
                threads.add(Thread.currentThread());
                try {
                    assertTrue(release.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                done.add(1);
            });
            for (int i = 2; i <= 5; i++) {
                int n = i;
                writes.submit(() -> done.add(n));
            }
            assertEquals(List.of(), done, "the first write is held, so none has finished");
            release.countDown();
            writes.await();
            assertEquals(List.of(1, 2, 3, 4, 5), done);
            assertNotEquals(Thread.currentThread(), threads.get(0));
            writes.submit(() -> done.add(6));
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6), done, "close waits for what is still queued");
    }

    @Test
    void theFirstFailureIsThrownByAwaitAfterEveryWriteEnded() {
        List<String> done = new CopyOnWriteArrayList<>();
        UncheckedIOException disk = new UncheckedIOException("disk full", new java.io.IOException("disk full"));
        WriteBehind writes = new WriteBehind();
        writes.submit(() -> {
            throw disk;
        });
        writes.submit(() -> {
            throw new IllegalStateException("second");
        });
        writes.submit(() -> done.add("third"));
        UncheckedIOException thrown = assertThrows(UncheckedIOException.class, writes::await);
        assertSame(disk, thrown);
        assertEquals(List.of("third"), done, "later writes still ran before await returned");
        writes.await(); // the failure was reported once
        writes.close();
    }

    @Test
    void aCheckedFailureIsWrappedWithItsCause() {
        WriteBehind writes = new WriteBehind();
        writes.submit(() -> sneaky(new java.io.IOException("no space left")));
        IllegalStateException e = assertThrows(IllegalStateException.class, writes::close);
        assertTrue(e.getMessage().contains("no space left"), e.getMessage());
        assertTrue(e.getCause() instanceof java.io.IOException);
    }

    @Test
    void anErrorIsThrownOnlyAfterTheLaterWritesEnded() {
        List<String> done = new CopyOnWriteArrayList<>();
        WriteBehind writes = new WriteBehind();
        writes.submit(() -> {
            throw new OutOfMemoryError("direct buffer memory");
        });
        writes.submit(() -> done.add("second"));
        assertThrows(OutOfMemoryError.class, writes::close);
        assertEquals(List.of("second"), done);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
