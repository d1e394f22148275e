package org.layerfuse.prune.strategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.layerfuse.prune.graft.BlockInfluenceStrategy;
import org.layerfuse.prune.graft.MacroInfluenceStrategy;

/** The strategies by command-line name. */
public final class Strategies {

    private static final Map<String, Supplier<PruningStrategy>> BY_NAME = new LinkedHashMap<>();

    static {
        register(ActivationInhibitionStrategy::new);
        register(ActivationIntensityStrategy::new);
        register(ActivationEnergyStrategy::new);
        register(TaskRelevanceMiStrategy::new);
        register(FlowRelevanceMiStrategy::new);
        register(GradientMagnitudeStrategy::new);
        register(GradientFisherStrategy::new);
        register(WeightNormStrategy::new);
        register(WeightSparsityStrategy::new);
        register(WeightEntropyStrategy::new);
        register(AttentionWeightStrategy::new);
        register(AttentionEntropyStrategy::new);
        register(RandomStrategy::anyLayer);
        register(LinearRegressionFusion::new);
        register(RandomForestFusion::new);
        register(RandomStrategy::excludingEdges);
        // FuseGPT's selection (prune/graft): not among the paper's fifteen.
        register(MacroInfluenceStrategy::iterative);
        register(MacroInfluenceStrategy::oneShot);
        register(BlockInfluenceStrategy::new);
    }

    private Strategies() {
    }

    /** Adds a strategy (e.g. from the graft package) under its own name. */
    public static synchronized void register(Supplier<PruningStrategy> factory) {
        BY_NAME.put(factory.get().name(), factory);
    }

    /** A new instance by name; an unknown name lists the valid ones. */
    public static synchronized PruningStrategy byName(String name) {
        Supplier<PruningStrategy> s = BY_NAME.get(name);
        if (s == null && name.equals("random12")) {
            s = BY_NAME.get("random");
        }
        if (s == null) {
            throw new IllegalArgumentException("unknown strategy '" + name + "'; valid: " + String.join(", ", names()));
        }
        return s.get();
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }

    /** The paper's fifteen: twelve single-signal strategies, the random baseline and the two fusions. */
    public static List<PruningStrategy> paperFifteen() {
        List<PruningStrategy> out = new ArrayList<>();
        for (String n : names().subList(0, 15)) {
            out.add(byName(n));
        }
        return out;
    }
}
