package org.layerfuse.prune.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Deterministic train / validation / test subsets of a {@link LabeledDataset}.
 *
 * <p>{@link #stratified}: subset {@code s} of size {@code n_s} takes from class {@code c} (of
 * {@code N_c} out of {@code N} examples) its proportional share {@code q = n_s·N_c/N}, rounded by
 * largest remainder: every class gets {@code floor(q)}, and the {@code n_s − Σ floor(q)} units
 * left go to the classes with the largest fractional parts (ties: lower label first). Sizes are
 * therefore exact and each class count is within 1 of proportional. When the subsets together
 * take nearly all of a class, their round-ups can ask for more than it has; then single units
 * are moved between classes along a shortest chain of subsets, each move keeping every count
 * within 1 of its share (an augmenting path in the transportation network of the rounding;
 * one exists because the exact shares are a feasible fractional solution).
 *
 * <p>Randomness: one {@link java.util.Random}{@code (seed)} (its LCG is specified by the JDK, so
 * a seed means the same subsets on every JVM). Each class's examples are Fisher–Yates shuffled
 * in label order, the test subset takes the first of them, validation the next, train the
 * next; each subset is then shuffled again (test first) so classes are interleaved. Hence the
 * test subset, and its order, depend only on the dataset, the test size and the seed, not on
 * the train and validation sizes (barring the near-exhaustive case above): runs with different
 * training budgets are scored on the same test examples. Subsets are disjoint by position (a
 * text that occurs twice in the dataset may land in two subsets).
 */
public final class Splits {

    /** The seed paper evaluates on test subsets of 256 examples. */
    public static final int DEFAULT_TEST_SIZE = 256;

    private Splits() {
    }

    /** Three disjoint subsets of one dataset. */
    public record Split(LabeledDataset train, LabeledDataset validation, LabeledDataset test) {
    }

    /** Stratified subsets of exactly the given sizes (any may be 0); see the class comment. */
    public static Split stratified(LabeledDataset dataset, int trainSize, int validationSize, int testSize, long seed) {
        int[] sizes = {testSize, validationSize, trainSize};
        checkSizes(dataset, sizes);
        int[] counts = dataset.classCounts();
        int[][] perClass = new int[3][];
        for (int s = 0; s < 3; s++) {
            perClass[s] = largestRemainder(sizes[s], counts, dataset.size());
        }
        fitWithinClassCounts(perClass, sizes, counts, dataset.size());
        return draw(dataset, perClass, seed);
    }

    /**
     * Class-balanced subsets: each takes the same number of examples from every class
     * ({@code trainPerClass} etc.), so subset size = per-class count × number of classes.
     */
    public static Split balanced(LabeledDataset dataset, int trainPerClass, int validationPerClass, int testPerClass, long seed) {
        int[] perClassSizes = {testPerClass, validationPerClass, trainPerClass};
        for (int v : perClassSizes) {
            if (v < 0) {
                throw new IllegalArgumentException("per-class subset sizes must be >= 0, got train=" + trainPerClass
                        + " validation=" + validationPerClass + " test=" + testPerClass);
            }
        }
        int need = trainPerClass + validationPerClass + testPerClass;
        int[] counts = dataset.classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < need) {
                throw new IllegalArgumentException("dataset " + dataset.name() + ": balanced split needs " + need
                        + " examples per class (train " + trainPerClass + " + validation " + validationPerClass + " + test "
                        + testPerClass + ") but class '" + dataset.labelNames().get(c) + "' has only " + counts[c]
                        + " (class counts " + describe(dataset, counts) + ")");
            }
        }
        int[][] perClass = new int[3][counts.length];
        for (int s = 0; s < 3; s++) {
            Arrays.fill(perClass[s], perClassSizes[s]);
        }
        return draw(dataset, perClass, seed);
    }

    private static void checkSizes(LabeledDataset dataset, int[] sizes) {
        long total = 0;
        for (int v : sizes) {
            if (v < 0) {
                throw new IllegalArgumentException("subset sizes must be >= 0, got train=" + sizes[2]
                        + " validation=" + sizes[1] + " test=" + sizes[0]);
            }
            total += v;
        }
        if (total > dataset.size()) {
            throw new IllegalArgumentException("dataset " + dataset.name() + " has " + dataset.size()
                    + " examples (class counts " + describe(dataset, dataset.classCounts()) + ") but train " + sizes[2]
                    + " + validation " + sizes[1] + " + test " + sizes[0] + " = " + total + " were asked for");
        }
    }

    /** Largest-remainder allocation of {@code size} over classes in proportion to {@code counts}. */
    static int[] largestRemainder(int size, int[] counts, int total) {
        int classes = counts.length;
        int[] take = new int[classes];
        if (size == 0) {
            return take;
        }
        long[] remainder = new long[classes];
        int assigned = 0;
        for (int c = 0; c < classes; c++) {
            long exact = (long) size * counts[c]; // share = exact / total
            take[c] = (int) (exact / total);
            remainder[c] = exact % total;
            assigned += take[c];
        }
        Integer[] order = new Integer[classes];
        for (int c = 0; c < classes; c++) {
            order[c] = c;
        }
        Arrays.sort(order, (a, b) -> remainder[a] != remainder[b] ? Long.compare(remainder[b], remainder[a]) : Integer.compare(a, b));
        for (int i = 0; assigned < size; i++) {
            take[order[i]]++;
            assigned++;
        }
        return take;
    }

    /**
     * Moves units until no class gives more than it has: from an over-asked class, along a
     * breadth-first chain "class a gives one in subset s to class b", where a's count in s may go
     * down (it was rounded up) and b's may go up (it was rounded down), to a class with room.
     */
    private static void fitWithinClassCounts(int[][] take, int[] sizes, int[] counts, int total) {
        int classes = counts.length;
        while (true) {
            int over = -1;
            for (int c = 0; c < classes && over < 0; c++) {
                if (take[0][c] + take[1][c] + take[2][c] > counts[c]) {
                    over = c;
                }
            }
            if (over < 0) {
                return;
            }
            int[] fromClass = new int[classes];
            int[] viaSubset = new int[classes];
            Arrays.fill(fromClass, -2);
            fromClass[over] = -1;
            ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(over));
            int found = -1;
            while (!queue.isEmpty() && found < 0) {
                int a = queue.poll();
                for (int s = 0; s < 3 && found < 0; s++) {
                    if ((long) take[s][a] * total <= (long) sizes[s] * counts[a]) {
                        continue; // not rounded up here: cannot give
                    }
                    for (int b = 0; b < classes && found < 0; b++) {
                        if (fromClass[b] != -2 || (long) take[s][b] * total >= (long) sizes[s] * counts[b]) {
                            continue; // seen, or not rounded down here: cannot take
                        }
                        fromClass[b] = a;
                        viaSubset[b] = s;
                        if (take[0][b] + take[1][b] + take[2][b] < counts[b]) {
                            found = b;
                        }
                        queue.add(b);
                    }
                }
            }
            if (found < 0) {
                throw new IllegalStateException("no stratified allocation found for sizes " + Arrays.toString(sizes)
                        + " and class counts " + Arrays.toString(counts)); // cannot happen: see the class comment
            }
            for (int b = found; b != over; b = fromClass[b]) {
                take[viaSubset[b]][b]++;
                take[viaSubset[b]][fromClass[b]]--;
            }
        }
    }

    private static Split draw(LabeledDataset dataset, int[][] perClass, long seed) {
        Random random = new Random(seed);
        int classes = dataset.numClasses();
        List<List<Integer>> byClass = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < dataset.size(); i++) {
            byClass.get(dataset.get(i).label()).add(i);
        }
        List<List<Example>> subsets = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int c = 0; c < classes; c++) {
            List<Integer> indices = byClass.get(c);
            shuffle(indices, random);
            int next = 0;
            for (int s = 0; s < 3; s++) {
                for (int k = 0; k < perClass[s][c]; k++) {
                    subsets.get(s).add(dataset.get(indices.get(next++)));
                }
            }
        }
        for (List<Example> subset : subsets) {
            shuffle(subset, random);
        }
        return new Split(dataset.withExamples(dataset.name() + "/train", subsets.get(2)),
                dataset.withExamples(dataset.name() + "/validation", subsets.get(1)),
                dataset.withExamples(dataset.name() + "/test", subsets.get(0)));
    }

    /** Fisher–Yates, last position first (written out so the order never depends on a library's choice). */
    private static <T> void shuffle(List<T> list, Random random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }

    private static String describe(LabeledDataset dataset, int[] counts) {
        var sb = new StringBuilder("{");
        for (int c = 0; c < counts.length; c++) {
            sb.append(c == 0 ? "" : ", ").append(dataset.labelNames().get(c)).append('=').append(counts[c]);
        }
        return sb.append('}').toString();
    }
}
