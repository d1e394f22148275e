package org.layerfuse.prune.signals;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The twelve per-layer signals of the strategic-fusion paper (section 2.2), with the rule
 * each single-signal strategy applies: remove the live layer with the minimum or the
 * maximum value.
 */
public enum Signal {
    ACTIVATION_INHIBITION("Activation-Inhibition", Category.ACTIVATION, Rule.MIN, "mean of the layer output"),
    ACTIVATION_INTENSITY("Activation-Intensity", Category.ACTIVATION, Rule.MIN, "mean |output|"),
    ACTIVATION_ENERGY("Activation-Energy", Category.ACTIVATION, Rule.MIN, "mean output²"),
    TASK_RELEVANCE_MI("Task-Relevance-MI", Category.MUTUAL_INFORMATION, Rule.MIN, "I(A_l; y), nats"),
    FLOW_RELEVANCE_MI("Flow-Relevance-MI", Category.MUTUAL_INFORMATION, Rule.MIN, "I(A_l; A_l+1), nats"),
    GRADIENT_MAGNITUDE("Gradient-Magnitudes", Category.GRADIENT, Rule.MIN, "mean |∂L/∂θ| over the layer's parameters"),
    GRADIENT_FISHER("Gradient-Fisher", Category.GRADIENT, Rule.MIN, "mean (∂L/∂θ)² over mini-batches and parameters"),
    WEIGHT_NORM("Weight-Norm", Category.WEIGHT, Rule.MIN, "L2 norm of the layer's weight matrices"),
    WEIGHT_SPARSITY("Weight-Sparsity", Category.WEIGHT, Rule.MAX, "fraction of exactly-zero weights"),
    WEIGHT_ENTROPY("Weight-Entropy", Category.WEIGHT, Rule.MIN, "−Σ p log(p+ε), p = |w|/‖w‖₁, nats"),
    ATTENTION_WEIGHT("Attention-Weight", Category.ATTENTION, Rule.MIN,
            "mean over heads and real query tokens of the largest attention probability"),
    ATTENTION_ENTROPY("Attention-Entropy", Category.ATTENTION, Rule.MAX,
            "mean over heads and real query tokens of the row entropy, nats");

    /** Which extreme marks the least important layer. */
    public enum Rule { MIN, MAX }

    /** The paper's grouping of the signals. */
    public enum Category { ACTIVATION, MUTUAL_INFORMATION, GRADIENT, WEIGHT, ATTENTION }

    private final String displayName;
    private final Category category;
    private final Rule rule;
    private final String definition;

    Signal(String displayName, Category category, Rule rule, String definition) {
        this.displayName = displayName;
        this.category = category;
        this.rule = rule;
        this.definition = definition;
    }

    /** The paper's name, e.g. "Weight-Entropy". */
    public String displayName() {
        return displayName;
    }

    /** The command-line name, e.g. "weight-entropy". */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public Category category() {
        return category;
    }

    public Rule rule() {
        return rule;
    }

    /** What is measured, with its unit. */
    public String definition() {
        return definition;
    }

    public static Signal fromCliName(String name) {
        for (Signal s : values()) {
            if (s.cliName().equals(name) || s.displayName.equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown signal '" + name + "'; valid: "
                + Arrays.stream(values()).map(Signal::cliName).collect(Collectors.joining(", ")));
    }
}
