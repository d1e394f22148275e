package org.layerfuse.engine.fused;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import org.layerfuse.engine.LibC;

/**
 * Linux thread placement through the C library (JNA): the CPU a thread runs on, its kernel id, and
 * which CPUs it may run on. Elsewhere, or where a call fails, each call answers −1, null or false
 * and nothing is changed.
 */
final class CpuAffinity {

    private static final long SYS_GETTID = 186; // x86-64
    private static final int MASK_BYTES = 128; // glibc's cpu_set_t: 1024 CPUs
    private static final Function GETCPU = LibC.function("sched_getcpu");
    private static final Function SETAFFINITY = LibC.function("sched_setaffinity");
    private static final Function GETAFFINITY = LibC.function("sched_getaffinity");
    private static final Function SYSCALL = LibC.function("syscall");
    private static final boolean AVAILABLE = GETCPU != null && SETAFFINITY != null && GETAFFINITY != null
            && SYSCALL != null
            && "amd64".equals(System.getProperty("os.arch")) && System.getProperty("os.name", "").startsWith("Linux");

    private CpuAffinity() {
    }

    /** The CPU the calling thread runs on now, or −1. */
    static int currentCpu() {
        if (!AVAILABLE) {
            return -1;
        }
        try {
            return GETCPU.invokeInt(new Object[0]);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return -1;
        }
    }

    /** The calling thread's kernel id, or −1. */
    static int threadId() {
        if (!AVAILABLE) {
            return -1;
        }
        try {
            return (int) SYSCALL.invokeLong(new Object[] {SYS_GETTID});
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return -1;
        }
    }

    /** The CPUs the calling thread may run on (a {@code cpu_set_t}), or null. */
    static byte[] allowed() {
        if (!AVAILABLE) {
            return null;
        }
        try {
            Memory mask = new Memory(MASK_BYTES);
            mask.clear();
            return GETAFFINITY.invokeInt(new Object[] {0, (long) MASK_BYTES, mask}) == 0
                    ? mask.getByteArray(0, MASK_BYTES) : null;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /**
     * Lets thread {@code tid} run on the CPUs of {@code allowed} but {@code except}; false where
     * that leaves none or the call failed.
     */
    static boolean allowAllBut(int tid, byte[] allowed, int except) {
        if (!AVAILABLE || tid <= 0 || allowed == null || except < 0 || except >= MASK_BYTES * 8) {
            return false;
        }
        byte[] bits = allowed.clone();
        bits[except / 8] &= (byte) ~(1 << (except % 8));
        boolean any = false;
        for (byte b : bits) {
            any |= b != 0;
        }
        if (!any) {
            return false;
        }
        try {
            Memory mask = new Memory(MASK_BYTES);
            mask.write(0, bits, 0, MASK_BYTES);
            return SETAFFINITY.invokeInt(new Object[] {tid, (long) MASK_BYTES, mask}) == 0;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
    }

}
