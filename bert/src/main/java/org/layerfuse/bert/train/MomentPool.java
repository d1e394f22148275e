package org.layerfuse.bert.train;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.layerfuse.engine.NativeMemory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The moment arrays of finished {@link AdamW} optimizers, cleared and handed to the next one
 * instead of new arrays. A study heals every pruned model with a new optimizer; a new moment
 * array is a fresh allocation that libnd4j clears and the kernel maps page by page (MiniLM's
 * word-embedding moments are 47 MB each, over glibc's mmap threshold): ≈ 55 ms an optimizer,
 * 3.8 s of the README's main study (JFR), against ≈ 10 ms to clear resident arrays. At most
 * {@link #MAX_BYTES} are kept, a whole optimizer's or none (MiniLM's 0.18 GB of moments;
 * BERT-base's 0.88 GB are freed as before), and {@link NativeMemory#trim()} (between a study's cells) frees them all.
 */
final class MomentPool {

    /** The most bytes of spare arrays kept. */
    static final long MAX_BYTES = 256L << 20;

    private static final Map<String, ArrayDeque<INDArray>> SPARE = new HashMap<>();
    private static long bytes;

    static {
        NativeMemory.beforeTrim(MomentPool::clear);
    }

    private MomentPool() {
    }

    /** A zeroed array like {@code p} ({@code p.like()}): for a C-ordered {@code p}, a spare one cleared if there is one. */
    static INDArray zerosLike(INDArray p) {
        INDArray spare = p.ordering() == 'c' ? take(key(p)) : null;
        if (spare == null) {
            return p.like();
        }
        Nd4j.getMemoryManager().memset(spare);
        return spare;
    }

    /**
     * Takes an optimizer's moment arrays back for reuse when all of them fit the budget together
     * (a model too large for it frees its moments as before, rather than keeping a part); else
     * closes them.
     */
    static synchronized void giveBackAll(java.util.Collection<INDArray> arrays) {
        long total = 0;
        for (INDArray a : arrays) {
            total += a.length() * a.dataType().width();
        }
        boolean keep = bytes + total <= MAX_BYTES;
        for (INDArray a : arrays) {
            if (keep) {
                giveBack(a);
            } else if (a.closeable() && !a.wasClosed()) {
                a.close();
            }
        }
    }

    /** Takes {@code a} back for reuse if it is a whole C-ordered array and fits the budget; else closes it. */
    static synchronized void giveBack(INDArray a) {
        if (a == null || a.wasClosed()) {
            return;
        }
        long size = a.length() * a.dataType().width();
        boolean whole = !a.isView() && a.ordering() == 'c' && a.offset() == 0 && a.data().length() == a.length();
        if (!whole || !a.closeable() || bytes + size > MAX_BYTES) {
            if (a.closeable()) {
                a.close();
            }
            return;
        }
        SPARE.computeIfAbsent(key(a), k -> new ArrayDeque<>()).push(a);
        bytes += size;
    }

    /** Frees every spare array. */
    static synchronized void clear() {
        SPARE.values().forEach(q -> q.forEach(INDArray::close));
        SPARE.clear();
        bytes = 0;
    }

    /** Bytes of spare arrays kept now. */
    static synchronized long spareBytes() {
        return bytes;
    }

    private static synchronized INDArray take(String key) {
        ArrayDeque<INDArray> q = SPARE.get(key);
        INDArray a = q == null ? null : q.poll();
        if (a != null) {
            bytes -= a.length() * a.dataType().width();
        }
        return a;
    }

    private static String key(INDArray a) {
        return a.dataType() + Arrays.toString(a.shape());
    }
}
