package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;

class TeamTest {

    @BeforeAll
    static void backend() {
        Backend.init();
    }

    @Test
    void everyTaskRunsOnceInsideAndOutsideAScope() {
        for (boolean scoped : new boolean[] {false, true}) {
            for (int tasks : new int[] {0, 1, 2, 7, 500}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(tasks, 1));
                if (scoped) {
                    try (Team.Scope s = Team.enter()) {
                        Team.run(tasks, seen::incrementAndGet);
                    }
                } else {
                    Team.run(tasks, seen::incrementAndGet);
                }
                for (int t = 0; t < tasks; t++) {
                    assertEquals(1, seen.get(t), "task " + t + " of " + tasks + (scoped ? " in a scope" : ""));
                }
            }
        }
    }

    /** A led team runs tasks on its partners too; outside a scope the caller runs them all. */
    @Test
    void aLedTeamSharesTheTasksAndTheCallerAloneRunsThemOutsideIt() {
        Assumptions.assumeTrue(Team.threads() > 1, "one thread: no team");
        Set<String> outside = ConcurrentHashMap.newKeySet();
        Team.run(64, t -> outside.add(Thread.currentThread().getName()));
        assertEquals(Set.of(Thread.currentThread().getName()), outside);
        Set<String> inside = ConcurrentHashMap.newKeySet();
        try (Team.Scope s = Team.enter()) {
            assertTrue(s.leads(), "no other thread leads the team");
            assertTrue(Team.leading());
            assertTrue(Team.inScope());
            for (int i = 0; i < 200 && inside.size() < 2; i++) {
                Team.run(8, t -> {
                    inside.add(Thread.currentThread().getName());
                    long until = System.nanoTime() + 200_000; // long enough for a partner to claim one
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
            }
            // the rows pool's loops go to the team too while the caller leads it
            Set<String> rows = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 200 && rows.size() < 2; i++) {
                ParallelRows.each(1000, 10, (from, to) -> {
                    rows.add(Thread.currentThread().getName());
                    long until = System.nanoTime() + 50_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
            }
            assertTrue(rows.stream().noneMatch(n -> n.startsWith("layerfuse-rows")), "no pool thread woken: " + rows);
            assertTrue(rows.stream().anyMatch(n -> n.startsWith("layerfuse-team")), "a partner ran rows: " + rows);
        }
        assertFalse(Team.leading());
        assertFalse(Team.inScope());
        assertTrue(inside.size() > 1, "the tasks ran on the caller and a partner: " + inside);
        assertTrue(inside.stream().anyMatch(n -> n.startsWith("layerfuse-team")), inside.toString());
    }

    /** OpenMP runs on one thread in a scope (the count is per thread) and gets its count back after. */
    @Test
    void theCallersOpenMpThreadsAreOneInAScopeAndRestoredAfter() throws Exception {
        Assumptions.assumeTrue(Team.threads() > 1 && Team.ompThreads() > 1, "one OpenMP thread here");
        int before = Team.ompThreads();
        AtomicReference<Integer> other = new AtomicReference<>();
        try (Team.Scope s = Team.enter()) {
            assertEquals(1, Team.ompThreads());
            try (Team.Scope nested = Team.enter()) {
                assertFalse(nested.leads(), "a nested scope leads nothing of its own");
                assertTrue(Team.leading(), "the outer scope still leads");
            }
            assertTrue(Team.leading(), "closing the nested scope keeps the team led");
            assertEquals(1, Team.ompThreads());
            Thread t = new Thread(() -> other.set(Team.ompThreads()));
            t.start();
            t.join();
            Set<Integer> partners = ConcurrentHashMap.newKeySet();
            Team.run(16, i -> partners.add(Team.ompThreads()));
            assertEquals(Set.of(1), partners, "every team thread runs OpenMP on one thread");
        }
        assertEquals(before, Team.ompThreads());
        assertEquals(before, other.get(), "another thread's count is its own");
    }

    /** While one thread leads, another runs its tasks alone, with OpenMP on one thread, and leads after. */
    @Test
    void aSecondThreadRunsAloneWhileTheTeamIsLed() throws Throwable {
        Assumptions.assumeTrue(Team.threads() > 1, "one thread: no team");
        AnotherLeader.whileLeading(() -> {
            try (Team.Scope s = Team.enter()) {
                assertFalse(s.leads());
                assertFalse(Team.leading());
                assertTrue(Team.inScope(), "in a scope, led by another");
                Set<String> ran = ConcurrentHashMap.newKeySet();
                Team.run(32, t -> ran.add(Thread.currentThread().getName()));
                assertEquals(Set.of(Thread.currentThread().getName()), ran);
                if (Team.ompThreads() > 0) {
                    assertEquals(1, Team.ompThreads(), "concurrent requests: one OpenMP thread each");
                }
            }
        });
        try (Team.Scope s = Team.enter()) {
            assertTrue(s.leads(), "the team is free again once its leader left");
        }
    }

    @Test
    void aFailingTaskIsRethrownAfterTheOthersEnd() {
        for (boolean scoped : new boolean[] {false, true}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(40);
            IllegalStateException boom = new IllegalStateException("task 13");
            Runnable call = () -> Team.run(40, t -> {
                seen.incrementAndGet(t);
                if (t == 13) {
                    throw boom;
                }
            });
            if (scoped) {
                try (Team.Scope s = Team.enter()) {
                    assertSame(boom, assertThrows(IllegalStateException.class, call::run));
                    Team.run(3, t -> { }); // the team still works after a failure
                }
            } else {
                assertSame(boom, assertThrows(IllegalStateException.class, call::run));
            }
            assertEquals(1, seen.get(13));
        }
    }

    /** Partners sleep outside scopes: a closed scope leaves no thread spinning. */
    @Test
    void partnersParkOnceTheScopeCloses() throws Exception {
        Assumptions.assumeTrue(Team.threads() > 1, "one thread: no team");
        try (Team.Scope s = Team.enter()) {
            Team.run(4, t -> { });
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        boolean allParked;
        do {
            allParked = true;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("layerfuse-team") && t.getState() != Thread.State.WAITING) {
                    allParked = false;
                }
            }
            Thread.sleep(5);
        } while (!allParked && System.nanoTime() < deadline);
        assertTrue(allParked, "every partner parked after the scope");
    }
}
