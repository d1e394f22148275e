package org.layerfuse.engine.fused;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The cores held for one inference call, as ONNX Runtime's intra-op pool holds them: while a
 * thread {@linkplain #enter leads} the team, {@link #threads()} − 1 partner threads spin waiting
 * for its work instead of sleeping, and the leader's own OpenMP calls run on one thread, so that
 * neither ND4J's OpenMP workers nor the rows pool's thread have to be woken between the call's
 * kernels. On this project's 2-core virtual machines a woken worker starts 50–90 µs late: with
 * libgomp's passive waiting (our default, {@code engine.OpenMpWaitPolicy}) a MiniLM forward on
 * one sentence spent more time waking workers than computing (1 × 16 tokens, weights packed: 6.8
 * ms passive, 2.9 ms with every OpenMP worker spinning). Outside a team the partners park, so
 * training and other jobs keep the passive policy's behaviour.
 *
 * <p>Work goes to the team through {@link #run}: numbered tasks, claimed by the leader and the
 * partners as they come (each task must not depend on which thread runs it, so results are the
 * same bits with or without the team); {@link ParallelRows} sends its blocks here while its caller
 * leads. One team per process: a thread that finds it led by another runs its tasks alone (with
 * its OpenMP calls on one thread too, as concurrent requests on few cores should). Off with
 * {@code -Dlayerfuse.fused.team=false}.
 */
public final class Team {

    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("layerfuse.fused.team", "true"));
    private static final int THREADS = ENABLED ? ParallelRows.threads() : 1;
    private static final AtomicReference<Thread> LEADER = new AtomicReference<>();
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final Thread[] PARTNERS = new Thread[Math.max(0, THREADS - 1)];
    private static final AtomicIntegerArray PARTNER_TIDS = new AtomicIntegerArray(PARTNERS.length);
    private static final byte[][] PARTNER_CPUS = new byte[PARTNERS.length][];
    private static final boolean PLACE = Boolean.parseBoolean(System.getProperty("layerfuse.fused.team.place", "true"));
    private static int placedAway = -1;
    /** How long a partner waits for the leader's next job, yielding, before it sleeps. */
    private static final long IDLE_PARK_NANOS = 2_000_000;
    /** Partners asleep in a led team (they are woken by the leader's next job). */
    private static final AtomicInteger SLEEPING = new AtomicInteger();
    private static volatile boolean active;
    private static volatile Job job;

    private Team() {
    }

    /** Threads a led team runs on: the leader and its partners ({@link ParallelRows#threads()}; 1 when off). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Whether the calling thread is inside a scope ({@link #enter}), leading the team or not: work
     * cut for the team is cut the same either way, so that its bits do not depend on who leads.
     */
    public static boolean inScope() {
        return THREADS > 1 && DEPTH.get()[0] > 0;
    }

    /**
     * Where part {@code i} of {@code total} items cut into {@code parts} as evenly as can be starts:
     * {@code total·i / parts} (the cut every split for the team uses).
     */
    public static long partStart(long total, int parts, int i) {
        return total * i / parts;
    }

    /** How many items part {@code i} of that cut has (at most two sizes, one apart). */
    public static long partSize(long total, int parts, int i) {
        return partStart(total, parts, i + 1) - partStart(total, parts, i);
    }

    /** Whether the calling thread leads the team now. */
    public static boolean leading() {
        return active && LEADER.get() == Thread.currentThread();
    }

    /**
     * Leads the team until the returned scope closes (nested scopes of the leader are free), or,
     * where another thread leads it, has the caller's OpenMP calls run on one thread until then.
     */
    public static Scope enter() {
        Thread me = Thread.currentThread();
        int[] depth = DEPTH.get();
        if (THREADS < 2 || depth[0]++ > 0) {
            return new Scope(THREADS > 1 ? depth : null, false, -1);
        }
        int omp = ompThreads();
        setOmpThreads(1);
        boolean lead = LEADER.compareAndSet(null, me);
        if (lead) {
            startPartners();
            placeAwayFrom(CpuAffinity.currentCpu());
            active = true;
            for (Thread p : PARTNERS) {
                LockSupport.unpark(p);
            }
        }
        return new Scope(depth, lead, omp);
    }

    /**
     * Runs {@code task} for 0 … {@code tasks} − 1: across the team where the caller leads it (the
     * first failure rethrown, the others suppressed, once every claimed task has ended; tasks not
     * yet claimed are skipped), else one after another on the caller (a failure ends the loop).
     */
    public static void run(int tasks, IntConsumer task) {
        if (tasks <= 1 || !leading()) {
            for (int t = 0; t < tasks; t++) {
                task.accept(t);
            }
            return;
        }
        Job j = new Job(tasks, task);
        job = j;
        if (SLEEPING.get() > 0) {
            for (Thread p : PARTNERS) {
                LockSupport.unpark(p);
            }
        }
        j.work();
        while (j.ended.get() < tasks) {
            Thread.onSpinWait();
        }
        job = null;
        j.rethrow();
    }

    /** The leader's hold on the team; closing it parks the partners and restores its OpenMP threads. */
    public static final class Scope implements AutoCloseable {
        private final int[] depth;
        private final boolean lead;
        private final int omp;
        private boolean closed;

        private Scope(int[] depth, boolean lead, int omp) {
            this.depth = depth;
            this.lead = lead;
            this.omp = omp;
        }

        /** Whether this scope leads the team (false: nested, or another thread leads it). */
        public boolean leads() {
            return lead;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (depth != null) {
                depth[0]--;
            }
            if (lead) {
                active = false;
                LEADER.set(null);
            }
            if (omp > 0) {
                setOmpThreads(omp);
            }
        }
    }

    private static final class Job {
        final int tasks;
        final IntConsumer task;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger ended = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int tasks, IntConsumer task) {
            this.tasks = tasks;
            this.task = task;
        }

        void work() {
            for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
                try {
                    if (failure.get() == null) {
                        task.accept(t);
                    }
                } catch (RuntimeException | Error e) {
                    if (!failure.compareAndSet(null, e)) {
                        failure.get().addSuppressed(e);
                    }
                } finally {
                    ended.incrementAndGet();
                }
            }
        }

        void rethrow() {
            Throwable f = failure.get();
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error err) {
                throw err;
            }
        }
    }

    private static synchronized void startPartners() {
        for (int i = 0; i < PARTNERS.length; i++) {
            if (PARTNERS[i] == null) {
                int index = i;
                Thread t = new Thread(() -> partner(index), "layerfuse-team-" + (i + 1));
                t.setDaemon(true);
                PARTNERS[i] = t;
                t.start();
            }
        }
    }

    /**
     * Keeps the partners off the leader's CPU: a woken partner placed on the leader's CPU (the
     * kernel often puts a wakee beside its waker) would share it with the spinning leader until the
     * kernel moved one of them, milliseconds later. Done again only when the leader's CPU changed.
     */
    private static void placeAwayFrom(int cpu) {
        if (!PLACE || cpu < 0 || cpu == placedAway) {
            return;
        }
        boolean all = true;
        for (int i = 0; i < PARTNERS.length; i++) {
            while (PARTNER_TIDS.get(i) == 0) { // set by the partner as it starts
                Thread.onSpinWait();
            }
            all &= CpuAffinity.allowAllBut(PARTNER_TIDS.get(i), PARTNER_CPUS[i], cpu);
        }
        placedAway = all ? cpu : -1;
    }

    /** A partner: parked outside a team, spinning for the leader's jobs inside one. */
    private static void partner(int index) {
        PARTNER_CPUS[index] = CpuAffinity.allowed();
        int tid = CpuAffinity.threadId();
        PARTNER_TIDS.set(index, tid > 0 ? tid : -1); // after PARTNER_CPUS: the leader reads both once this is set
        setOmpThreads(1); // its oneDNN calls run on it alone (OpenMP's threads count is per thread)
        Job last = null;
        long idleSince = System.nanoTime();
        while (true) {
            if (!active) {
                LockSupport.park();
                idleSince = System.nanoTime();
                continue;
            }
            Job j = job;
            if (j != null && j != last) {
                last = j;
                j.work();
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > IDLE_PARK_NANOS) {
                // the leader has run alone a while (a long pass of its own, or the machine busy
                // with other work): sleep until its next job wakes us
                SLEEPING.incrementAndGet();
                if (active && job == j) {
                    LockSupport.park();
                }
                SLEEPING.decrementAndGet();
                idleSince = System.nanoTime();
            } else {
                // give the core to any other runnable thread (another request's, the JVM's): on an
                // idle core the call returns at once, so a job is still taken within microseconds
                Thread.yield();
            }
        }
    }

    /** The calling thread's OpenMP threads (its own count: the team's threads have 1), or −1 off the CPU backend. */
    static int ompThreads() {
        return Nd4j.getEnvironment().isCPU() ? NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads() : -1;
    }

    private static void setOmpThreads(int n) {
        if (n > 0 && Nd4j.getEnvironment().isCPU()) {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
        }
    }
}
