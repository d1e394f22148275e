package org.layerfuse.engine.mi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link ReusedProjection}: the wrapped projection's bits, computed once per distinct input. */
class ReusedProjectionTest {

    private static final class Counting implements Projection {
        final AtomicInteger calls = new AtomicInteger();
        final Projection pca = new PcaProjection(3);

        @Override
        public Samples apply(Samples x) {
            calls.incrementAndGet();
            return pca.apply(x);
        }
    }

    private static Samples data(long seed) {
        return MiCases.correlatedGaussians(40, new double[] {0.3, 0.5, 0.7, 0.2, 0.6}, seed)[0];
    }

    private static Samples copyOf(Samples s) {
        return new Samples(s.values().clone(), s.rows(), s.cols());
    }

    @Test
    void givesThePcaBitsAndProjectsEachDistinctInputOnce() {
        Counting inner = new Counting();
        ReusedProjection reused = new ReusedProjection(inner, 2);
        Samples a = data(1);
        Samples b = data(2);
        float[] wantA = new PcaProjection(3).apply(a).values();
        float[] wantB = new PcaProjection(3).apply(b).values();
        // the signals' order: a (task MI), a and b (flow MI), b (next layer's task MI), b and c ...
        assertArrayEquals(wantA, reused.apply(a).values());
        assertArrayEquals(wantA, reused.apply(copyOf(a)).values()); // equal content, another array
        assertArrayEquals(wantB, reused.apply(b).values());
        assertArrayEquals(wantB, reused.apply(b).values());
        assertArrayEquals(wantA, reused.apply(a).values());
        assertEquals(2, inner.calls.get());
    }

    @Test
    void aChangedArrayIsProjectedAgain() {
        Counting inner = new Counting();
        ReusedProjection reused = new ReusedProjection(inner, 2);
        Samples a = data(3);
        float[] before = reused.apply(a).values();
        a.values()[7] += 1f; // same array object, new content
        float[] after = reused.apply(a).values();
        assertEquals(2, inner.calls.get());
        assertArrayEquals(new PcaProjection(3).apply(a).values(), after);
        assertTrue(before[0] != after[0] || before[1] != after[1] || before[2] != after[2], "the result changed");
    }

    @Test
    void resultsAreCopiesAndTheOldestIsForgotten() {
        Counting inner = new Counting();
        ReusedProjection reused = new ReusedProjection(inner, 1);
        Samples a = data(4);
        Samples first = reused.apply(a);
        float[] want = first.values().clone();
        first.values()[0] = 1e9f; // a caller changing its result does not change the next caller's
        Samples second = reused.apply(a);
        assertNotSame(first.values(), second.values());
        assertArrayEquals(want, second.values());
        reused.apply(data(5));
        reused.apply(a); // capacity 1: a was forgotten
        assertEquals(3, inner.calls.get());
    }

    @Test
    void rejectsAZeroCapacity() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ReusedProjection(new PcaProjection(2), 0));
        assertTrue(e.getMessage().contains("capacity"), e.getMessage());
    }
}
