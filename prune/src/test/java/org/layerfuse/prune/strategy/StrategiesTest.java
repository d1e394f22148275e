package org.layerfuse.prune.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.signals.Signal;

class StrategiesTest {

    /** 6 layers, layer 2 removed; column c of layer l = a value whose min and max layers differ per signal. */
    static LayerSignals handBuilt() {
        boolean[] live = {true, true, false, true, true, true};
        double[][] v = new double[6][12];
        for (int l = 0; l < 6; l++) {
            for (int c = 0; c < 12; c++) {
                // a permutation of layers per column: (l * 5 + c) mod 6
                v[l][c] = ((l * 5 + c) % 6) + 0.25 * c;
            }
        }
        return new LayerSignals(live, v);
    }

    @Test
    void singleSignalStrategiesApplyTheirRule() {
        LayerSignals s = handBuilt();
        for (PruningStrategy strategy : Strategies.paperFifteen()) {
            if (!(strategy instanceof SingleSignalStrategy single)) {
                continue;
            }
            Signal signal = single.signal();
            int expected = -1;
            for (int l : s.liveLayers()) {
                double v = s.get(l, signal);
                if (expected < 0 || (signal.rule() == Signal.Rule.MIN ? v < s.get(expected, signal)
                        : v > s.get(expected, signal))) {
                    expected = l;
                }
            }
            Choice c = strategy.choose(new PruningContext(0, s, List.of(), 1));
            assertEquals(expected, c.layer(), strategy.displayName());
            assertTrue(s.isLive(c.layer()));
            assertEquals(s.get(c.layer(), signal), c.scores()[c.layer()], 0.0);
        }
        assertEquals(Signal.Rule.MAX, Signal.WEIGHT_SPARSITY.rule());
        assertEquals(Signal.Rule.MAX, Signal.ATTENTION_ENTROPY.rule());
        assertEquals(Signal.Rule.MIN, Signal.GRADIENT_FISHER.rule());
    }

    @Test
    void fifteenStrategiesWithDistinctNames() {
        List<PruningStrategy> all = Strategies.paperFifteen();
        assertEquals(15, all.size());
        Set<String> names = new HashSet<>();
        all.forEach(s -> names.add(s.name()));
        assertEquals(15, names.size());
        assertTrue(names.containsAll(List.of("random", "linear-regression", "random-forest", "weight-entropy")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Strategies.byName("nope"));
        assertTrue(e.getMessage().contains("random-forest"), e.getMessage());
    }

    @Test
    void randomIsSeededAndRandom10NeverPicksAnEdge() {
        LayerSignals s = new LayerSignals(new boolean[] {true, true, true, true, true, true}, rows(6));
        PruningStrategy random = Strategies.byName("random");
        assertEquals(random.choose(new PruningContext(3, s, List.of(), 7)).layer(),
                random.choose(new PruningContext(3, s, List.of(), 7)).layer());
        Set<Integer> seen = new HashSet<>();
        Set<Integer> seen10 = new HashSet<>();
        PruningStrategy random10 = Strategies.byName("random10");
        for (long seed = 0; seed < 200; seed++) {
            seen.add(random.choose(new PruningContext(0, s, List.of(), seed)).layer());
            int l = random10.choose(new PruningContext(0, s, List.of(), seed)).layer();
            assertNotEquals(0, l);
            assertNotEquals(5, l);
            seen10.add(l);
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5), seen);
        assertEquals(Set.of(1, 2, 3, 4), seen10);
        LayerSignals edgesOnly = new LayerSignals(new boolean[] {true, false, false, false, false, true}, rows(6));
        assertThrows(IllegalStateException.class, () -> random10.choose(new PruningContext(4, edgesOnly, List.of(), 1)));
    }

    static double[][] rows(int n) {
        double[][] v = new double[n][12];
        for (int l = 0; l < n; l++) {
            for (int c = 0; c < 12; c++) {
                v[l][c] = l + c;
            }
        }
        return v;
    }

    /** ΔA = signal 3 + small noise: both regressors must find signal 3 and pick its minimum. */
    @Test
    void fusionRecoversAKnownRelation() {
        SplittableRandom r = new SplittableRandom(11);
        List<FusionRow> history = new ArrayList<>();
        for (int step = 0; step < 5; step++) {
            for (int l = 0; l < 12; l++) {
                double[] x = new double[12];
                for (int c = 0; c < 12; c++) {
                    x[c] = r.nextGaussian();
                }
                history.add(new FusionRow(step, l, x, x[3] + 0.01 * r.nextGaussian()));
            }
        }
        boolean[] live = new boolean[12];
        java.util.Arrays.fill(live, true);
        live[4] = false;
        double[][] current = new double[12][12];
        for (int l = 0; l < 12; l++) {
            for (int c = 0; c < 12; c++) {
                current[l][c] = r.nextGaussian();
            }
        }
        current[7][3] = -5; // clearly the smallest predicted drop
        current[4][3] = -9; // but removed
        LayerSignals signals = new LayerSignals(live, current);
        for (PruningStrategy fusion : List.of(new LinearRegressionFusion(), new RandomForestFusion())) {
            Choice c = fusion.choose(new PruningContext(5, signals, history, 3));
            assertEquals(7, c.layer(), fusion.displayName());
            int top = 0;
            for (int j = 1; j < 12; j++) {
                if (Math.abs(c.featureImportance()[j]) > Math.abs(c.featureImportance()[top])) {
                    top = j;
                }
            }
            assertEquals(3, top, fusion.displayName() + " importance " + java.util.Arrays.toString(c.featureImportance()));
            assertTrue(Double.isNaN(c.scores()[4]), "removed layer has no prediction");
        }
        // LR's standardised coefficient of signal 3 ≈ its standard deviation (≈ 1), others ≈ 0.
        Choice lr = new LinearRegressionFusion().choose(new PruningContext(5, signals, history, 3));
        assertEquals(1.0, lr.featureImportance()[3], 0.15);
        for (int j = 0; j < 12; j++) {
            if (j != 3) {
                assertEquals(0.0, lr.featureImportance()[j], 0.05, "coefficient of signal " + j);
            }
        }
    }

    @Test
    void constantSignalsAreFlaggedAndIgnoredByFusion() {
        double[][] v = rows(4);
        for (double[] row : v) {
            row[Signal.WEIGHT_SPARSITY.ordinal()] = 0.0;
        }
        LayerSignals s = new LayerSignals(new boolean[] {true, true, true, true}, v);
        assertEquals(Set.of(Signal.WEIGHT_SPARSITY), s.uninformative());
        List<FusionRow> history = new ArrayList<>();
        for (int l = 0; l < 4; l++) {
            history.add(new FusionRow(0, l, s.row(l), l));
        }
        Choice c = new LinearRegressionFusion().choose(new PruningContext(0, s, history, 1));
        assertEquals(0.0, c.featureImportance()[Signal.WEIGHT_SPARSITY.ordinal()], 0.0);
        assertEquals(0, c.layer());
    }

    @Test
    void removedLayersHaveNoSignals() {
        LayerSignals s = handBuilt();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.get(2, Signal.WEIGHT_NORM));
        assertTrue(e.getMessage().contains("removed"), e.getMessage());
        assertEquals(s, LayerSignals.fromCsv(s.toCsv(), "test"));
        assertTrue(s.toCsv().contains("\n2,false,,,,,,,,,,,,\n"), s.toCsv());
    }
}
