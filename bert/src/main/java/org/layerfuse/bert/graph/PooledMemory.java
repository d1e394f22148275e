package org.layerfuse.bert.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.BaseNDArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A SameDiff session's memory manager whose released arrays outlive the session (see
 * {@link ArrayPool}): free arrays by (type, order, shape), taken back by later allocations of the
 * same kind. As SameDiff's {@code ArrayCacheMemoryMgr}, an array whose buffer something else
 * also uses (a view) is closed instead of kept, and a reused array gets a new id (the session
 * tracks arrays by id). Unlike it, a kept array is found by identity, never by {@code equals}.
 */
final class PooledMemory extends AbstractMemoryMgr {

    /** A free array and the number of the call that released it. */
    private record Free(INDArray array, long call) {
    }

    private final long capacityBytes;
    private final Map<ArrayKey, ArrayDeque<Free>> free = new HashMap<>();
    /** The same arrays, by identity: an array given twice must not be handed out twice. */
    private final Set<INDArray> held = Collections.newSetFromMap(new IdentityHashMap<>());
    private long bytes;
    private long call;

    PooledMemory(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return allocate(detached, LongShapeDescriptor.fromShape(shape, dataType));
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        if (descriptor.isEmpty()) {
            return fresh(descriptor);
        }
        ArrayDeque<Free> list = free.get(ArrayKey.of(descriptor));
        Free f = list == null ? null : list.pollLast();
        if (f != null) {
            held.remove(f.array());
            bytes -= byteSize(f.array());
            ((BaseNDArray) f.array()).assignNewId();
            return f.array();
        }
        return fresh(descriptor);
    }

    /** A new array of this shape, its contents not set (an empty array where the shape is empty). */
    static INDArray fresh(LongShapeDescriptor d) {
        return d.isEmpty() ? Nd4j.create(d) : Nd4j.createUninitializedDetached(d.dataType(), d.getOrder(), d.getShape());
    }

    @Override
    public void release(INDArray array) {
        if (array == null || array.wasClosed() || held.contains(array)) {
            return;
        }
        if (!poolable(array) || bytes + byteSize(array) > capacityBytes) {
            if (array.closeable()) {
                array.close();
            }
            return;
        }
        bytes += byteSize(array);
        held.add(array);
        free.computeIfAbsent(ArrayKey.of(array), k -> new ArrayDeque<>())
                .addLast(new Free(array, call));
    }

    /** Whole, contiguous arrays that own their buffer alone. */
    private static boolean poolable(INDArray a) {
        return a.closeable() && !a.isView() && !a.isEmpty() && a.data() != null && a.dataType() != DataType.UTF8
                && a.length() == a.data().length() && Nd4j.getExecutioner().useCount(a.data()) <= 1;
    }

    private static long byteSize(INDArray a) {
        return a.length() * a.dataType().width();
    }

    /** Ends a call: arrays that waited through all of it unused are closed. */
    void endCall() {
        for (Iterator<ArrayDeque<Free>> lists = free.values().iterator(); lists.hasNext(); ) {
            ArrayDeque<Free> list = lists.next();
            for (Iterator<Free> it = list.iterator(); it.hasNext(); ) {
                Free f = it.next();
                if (f.call() < call) {
                    held.remove(f.array());
                    bytes -= byteSize(f.array());
                    f.array().close();
                    it.remove();
                }
            }
            if (list.isEmpty()) {
                lists.remove();
            }
        }
        call++;
    }

    /** The arrays waiting in the pool now. */
    List<INDArray> pooled() {
        List<INDArray> out = new ArrayList<>();
        free.values().forEach(list -> list.forEach(f -> out.add(f.array())));
        return out;
    }

    long pooledBytes() {
        return bytes;
    }

    @Override
    public void close() {
        free.values().forEach(list -> list.forEach(f -> {
            if (!f.array().wasClosed()) {
                f.array().close();
            }
        }));
        free.clear();
        held.clear();
        bytes = 0;
    }
}
