package org.layerfuse.engine.fused;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A map that keeps the {@code capacity} entries used last and hands the one it drops to
 * {@code onDrop} (a thread's oneDNN primitives by shape: dropping frees their native objects).
 */
final class LruCache<K, V> extends LinkedHashMap<K, V> {

    private final int capacity;
    private final transient Consumer<V> onDrop;

    LruCache(int capacity, Consumer<V> onDrop) {
        super(16, 0.75f, true);
        this.capacity = capacity;
        this.onDrop = onDrop;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        if (size() > capacity) {
            onDrop.accept(eldest.getValue());
            return true;
        }
        return false;
    }
}
