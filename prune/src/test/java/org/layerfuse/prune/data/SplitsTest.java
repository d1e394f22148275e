package org.layerfuse.prune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class SplitsTest {

    /** A dataset with {@code counts[c]} examples of class c, each text unique ("c<label>-<i>"), classes interleaved. */
    private static LabeledDataset dataset(int... counts) {
        List<Example> examples = new ArrayList<>();
        int max = 0;
        for (int c : counts) {
            max = Math.max(max, c);
        }
        for (int i = 0; i < max; i++) {
            for (int c = 0; c < counts.length; c++) {
                if (i < counts[c]) {
                    examples.add(new Example("c" + c + "-" + i, c));
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            names.add("class" + c);
        }
        return new LabeledDataset("synthetic", names, examples);
    }

    /** Checks sizes, disjointness, membership and per-class counts within 1 of size·N_c/N. */
    private static void assertValid(LabeledDataset d, Splits.Split split, int train, int validation, int test) {
        assertEquals(train, split.train().size());
        assertEquals(validation, split.validation().size());
        assertEquals(test, split.test().size());
        Set<Example> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Example> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(d.examples());
        for (LabeledDataset subset : List.of(split.train(), split.validation(), split.test())) {
            assertEquals(d.labelNames(), subset.labelNames());
            for (Example e : subset.examples()) {
                assertTrue(all.contains(e), "subset example not from the dataset: " + e);
                assertTrue(seen.add(e), "example in two subsets: " + e);
            }
            int[] counts = subset.classCounts();
            int[] totals = d.classCounts();
            for (int c = 0; c < counts.length; c++) {
                double quota = (double) subset.size() * totals[c] / d.size();
                assertTrue(Math.abs(counts[c] - quota) < 1.0 + 1e-9, subset.name() + " class " + c + ": " + counts[c]
                        + " examples, proportional share " + quota);
            }
        }
    }

    @Test
    void exactSizesDisjointAndStratified() {
        LabeledDataset d = dataset(500, 300, 200);
        Splits.Split split = Splits.stratified(d, 600, 100, 256, 7);
        assertValid(d, split, 600, 100, 256);
        // 256 · (0.5, 0.3, 0.2) = 128, 76.8, 51.2 → largest remainder gives 128, 77, 51
        int[] test = split.test().classCounts();
        assertEquals(List.of(128, 77, 51), List.of(test[0], test[1], test[2]));
    }

    @Test
    void sameSeedSameSubsetsOtherSeedOthers() {
        LabeledDataset d = dataset(500, 300, 200);
        Splits.Split a = Splits.stratified(d, 300, 50, 256, 42);
        Splits.Split b = Splits.stratified(d, 300, 50, 256, 42);
        Splits.Split c = Splits.stratified(d, 300, 50, 256, 43);
        assertEquals(a, b);
        assertNotEquals(a.test().examples(), c.test().examples());
        assertNotEquals(a.train().examples(), c.train().examples());
    }

    @Test
    void testSubsetDoesNotDependOnTrainAndValidationSizes() {
        LabeledDataset d = dataset(500, 300, 200);
        Splits.Split small = Splits.stratified(d, 100, 0, 256, 9);
        Splits.Split large = Splits.stratified(d, 600, 120, 256, 9);
        assertEquals(small.test(), large.test());
    }

    @Test
    void subsetsAreShuffledNotGroupedByClass() {
        Splits.Split split = Splits.stratified(dataset(500, 500), 0, 0, 256, 1);
        List<Example> test = split.test().examples();
        int changes = 0;
        for (int i = 1; i < test.size(); i++) {
            changes += test.get(i).label() != test.get(i - 1).label() ? 1 : 0;
        }
        // a random order of 128 + 128 has about 128 label changes; grouped by class it would have 1
        assertTrue(changes > 80, "label changes in test order: " + changes);
    }

    @Test
    void usingTheWholeDatasetKeepsEveryExampleOnce() {
        LabeledDataset d = dataset(7, 5, 3, 1);
        Splits.Split split = Splits.stratified(d, 9, 4, 3, 3);
        assertEquals(16, split.train().size() + split.validation().size() + split.test().size());
        int[] sum = new int[4];
        for (LabeledDataset s : List.of(split.train(), split.validation(), split.test())) {
            int[] counts = s.classCounts();
            for (int c = 0; c < 4; c++) {
                sum[c] += counts[c];
            }
        }
        assertEquals(List.of(7, 5, 3, 1), List.of(sum[0], sum[1], sum[2], sum[3]));
    }

    @Test
    void randomDatasetsAndSizesKeepTheInvariants() {
        Random random = new Random(2024);
        int repaired = 0;
        for (int trial = 0; trial < 2000; trial++) {
            int classes = 1 + random.nextInt(8);
            int[] counts = new int[classes];
            int total = 0;
            for (int c = 0; c < classes; c++) {
                counts[c] = 1 + random.nextInt(60);
                total += counts[c];
            }
            int test = random.nextInt(total / 2 + 1);
            int validation = random.nextInt(total - test + 1) / 3;
            int rest = total - test - validation;
            // every other trial leaves at most 2 examples unused: where round-ups can exceed a class
            int train = trial % 2 == 0 ? random.nextInt(rest + 1) : Math.max(0, rest - random.nextInt(3));
            LabeledDataset d = dataset(counts);
            Splits.Split split = Splits.stratified(d, train, validation, test, trial);
            assertValid(d, split, train, validation, test);
            int[][] plain = {Splits.largestRemainder(test, counts, total), Splits.largestRemainder(validation, counts, total),
                    Splits.largestRemainder(train, counts, total)};
            for (int c = 0; c < classes; c++) {
                if (plain[0][c] + plain[1][c] + plain[2][c] > counts[c]) {
                    repaired++;
                    break;
                }
            }
        }
        assertTrue(repaired > 50, "trials where per-subset rounding over-asked a class: " + repaired);
    }

    @Test
    void tooLargeSizesNameTheCounts() {
        LabeledDataset d = dataset(60, 40);
        var e = assertThrows(IllegalArgumentException.class, () -> Splits.stratified(d, 50, 0, 51, 1));
        assertTrue(e.getMessage().contains("100 examples") && e.getMessage().contains("class0=60")
                && e.getMessage().contains("class1=40") && e.getMessage().contains("= 101"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Splits.stratified(d, -1, 0, 10, 1));
    }

    @Test
    void balancedTakesEqualCountsPerClass() {
        LabeledDataset d = dataset(50, 20, 30);
        Splits.Split split = Splits.balanced(d, 10, 2, 8, 5);
        assertEquals(List.of(10, 10, 10), toList(split.train().classCounts()));
        assertEquals(List.of(2, 2, 2), toList(split.validation().classCounts()));
        assertEquals(List.of(8, 8, 8), toList(split.test().classCounts()));
        assertValidDisjoint(split);
        var e = assertThrows(IllegalArgumentException.class, () -> Splits.balanced(d, 15, 0, 8, 5));
        assertTrue(e.getMessage().contains("needs 23") && e.getMessage().contains("'class1' has only 20"), e.getMessage());
    }

    @Test
    void defaultTestSizeOnTheSpamAssassinCorpus() throws IOException {
        LabeledDataset corpus = SpamAssassinCorpus.standard().dataset(SpamAssassinCorpus.View.EASY_HARD_SPAM);
        Splits.Split split = Splits.stratified(corpus, 2000, 200, Splits.DEFAULT_TEST_SIZE, 42);
        assertValid(corpus, split, 2000, 200, 256);
        // 256 · (3900, 250, 1896) / 6046 = 165.1, 10.6, 80.3
        int[] test = split.test().classCounts();
        assertEquals(List.of(165, 11, 80), toList(test));
    }

    private static void assertValidDisjoint(Splits.Split split) {
        Set<Example> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (LabeledDataset s : List.of(split.train(), split.validation(), split.test())) {
            for (Example e : s.examples()) {
                assertTrue(seen.add(e));
            }
        }
    }

    private static List<Integer> toList(int[] values) {
        List<Integer> list = new ArrayList<>();
        for (int v : values) {
            list.add(v);
        }
        return list;
    }
}
