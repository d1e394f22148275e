package org.layerfuse.prune.data;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A named list of {@link Example}s whose labels index {@code labelNames} (class {@code i} is
 * called {@code labelNames.get(i)}). Validated once: at least one class, distinct non-blank
 * names, every label in {@code [0, labelNames.size())}. Lists are copied and immutable.
 */
public record LabeledDataset(String name, List<String> labelNames, List<Example> examples) {

    public LabeledDataset {
        Objects.requireNonNull(name, "name");
        labelNames = List.copyOf(labelNames);
        examples = List.copyOf(examples);
        if (labelNames.isEmpty()) {
            throw new IllegalArgumentException("dataset " + name + ": no label names");
        }
        var seen = new HashSet<String>();
        for (String label : labelNames) {
            if (label.isBlank()) {
                throw new IllegalArgumentException("dataset " + name + ": blank label name in " + labelNames);
            }
            if (!seen.add(label)) {
                throw new IllegalArgumentException("dataset " + name + ": label name '" + label + "' appears twice in " + labelNames);
            }
        }
        for (int i = 0; i < examples.size(); i++) {
            int label = examples.get(i).label();
            if (label >= labelNames.size()) {
                throw new IllegalArgumentException("dataset " + name + ": example " + i + " has label " + label
                        + " but there are only " + labelNames.size() + " classes " + labelNames);
            }
        }
    }

    public int size() {
        return examples.size();
    }

    public int numClasses() {
        return labelNames.size();
    }

    public Example get(int index) {
        return examples.get(index);
    }

    /** Number of examples per class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[labelNames.size()];
        for (Example e : examples) {
            counts[e.label()]++;
        }
        return counts;
    }

    /** The same classes with other examples (e.g. a split's subset). */
    public LabeledDataset withExamples(String subsetName, List<Example> subset) {
        return new LabeledDataset(subsetName, labelNames, subset);
    }

    @Override
    public String toString() {
        return "LabeledDataset[" + name + ", " + examples.size() + " examples, classes " + labelNames + "]";
    }
}
