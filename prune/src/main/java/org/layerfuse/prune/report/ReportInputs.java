package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.strategy.Strategies;
import org.layerfuse.prune.study.Baseline;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.CellResult;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudySpec;

/**
 * A study's results as the report needs them: runs grouped by (dataset, heal, strategy), one
 * {@link StrategyOutcome} per group that has pruned steps, a baseline per dataset, and the
 * list of what the spec asked for but the directory lacks.
 */
final class ReportInputs {

    /** The strategy the paper's distillation and ratio-factor analysis (section 3.2) uses. */
    static final String PAPER_FUSION = "random-forest";
    /** The random baseline of Table 1 and Fig. 3 (Random12 in section 3.4). */
    static final String RANDOM = "random";

    private final StudyResults results;
    private final Map<String, BaselineReference> baselines = new LinkedHashMap<>();
    private final Map<String, StrategyOutcome> outcomes = new LinkedHashMap<>();
    private final Map<String, List<Run>> runs = new LinkedHashMap<>();
    private final List<MissingItem> missing = new ArrayList<>();
    private final Set<String> fusion = new LinkedHashSet<>();
    private final int numLayers;

    private ReportInputs(StudyResults results) {
        this.results = results;
        StudySpec spec = results.spec();
        int layers = spec.numLayers();
        for (CellResult c : results.cells()) {
            CellKey k = c.key();
            String error = c.error() == null ? null : firstLine(c.error());
            if (c.steps().isEmpty()) {
                missing.add(error != null ? new MissingItem("cell-failed", k.toString(), "no step recorded; error: "
                        + error) : new MissingItem("cell-missing", k.toString(), "no step recorded"));
                continue;
            }
            if (!c.complete()) {
                missing.add(new MissingItem("cell-incomplete", k.toString(), c.removals() + " of "
                        + c.targetRemovals() + " layers removed" + (error != null ? "; last attempt failed: " + error
                        : "")));
            }
            runs.computeIfAbsent(group(k.dataset(), k.heal(), k.strategy()), g -> new ArrayList<>())
                    .add(new Run(k, c.steps(), c.complete()));
            for (StepRecord s : c.steps()) {
                layers = Math.max(layers, s.liveLayers() == null ? 0 : s.liveLayers().length + s.step());
                if (s.featureImportance() != null) {
                    fusion.add(k.strategy());
                }
            }
        }
        this.numLayers = layers;
        for (String d : spec.datasets()) {
            Optional<Baseline> b = results.baseline(d);
            if (b.isPresent()) {
                baselines.put(d, new BaselineReference(d, b.get().accuracy(), b.get().parameters(), "baseline.json"));
                continue;
            }
            String file = d + "/baseline/baseline.json";
            Optional<Run> first = runs.entrySet().stream().filter(e -> e.getKey().startsWith(d + "\u0000"))
                    .flatMap(e -> e.getValue().stream()).findFirst();
            if (first.isPresent()) {
                StepRecord s0 = first.get().steps().get(0);
                String source = "step 0 of " + first.get().key();
                baselines.put(d, new BaselineReference(d, s0.accuracy(), s0.parameters(), source));
                missing.add(new MissingItem("baseline-missing", d, file + " not found; the baseline is taken from "
                        + source + " (the unpruned model evaluated at the start of that run)"));
            } else {
                missing.add(new MissingItem("baseline-missing", d, file + " not found and no run of " + d
                        + " recorded a step: numbers relative to the baseline are left out"));
            }
        }
        for (String d : spec.datasets()) {
            for (String h : spec.heals()) {
                for (String s : spec.strategies()) {
                    StrategyOutcome.of(d, h, s, runs.getOrDefault(group(d, h, s), List.of()))
                            .ifPresent(o -> outcomes.put(group(d, h, s), o));
                }
            }
        }
    }

    static ReportInputs of(StudyResults results) {
        return new ReportInputs(results);
    }

    private static String group(String dataset, String heal, String strategy) {
        return dataset + "\u0000" + heal + "\u0000" + strategy;
    }

    private static String firstLine(String text) {
        String t = text.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    StudyResults results() {
        return results;
    }

    StudySpec spec() {
        return results.spec();
    }

    List<String> datasets() {
        return spec().datasets();
    }

    List<String> heals() {
        return spec().heals();
    }

    List<String> strategies() {
        return spec().strategies();
    }

    /** Encoder layers of the model (from the spec, or from the records if larger). */
    int numLayers() {
        return numLayers;
    }

    Optional<BaselineReference> baseline(String dataset) {
        return Optional.ofNullable(baselines.get(dataset));
    }

    Optional<StrategyOutcome> outcome(String dataset, String heal, String strategy) {
        return Optional.ofNullable(outcomes.get(group(dataset, heal, strategy)));
    }

    /** Runs with at least step 0 recorded. */
    List<Run> runs(String dataset, String heal, String strategy) {
        return runs.getOrDefault(group(dataset, heal, strategy), List.of());
    }

    List<MissingItem> missing() {
        return missing;
    }

    /** Strategies whose records carry feature importances (the fusion strategies). */
    List<String> fusionStrategies() {
        return strategies().stream().filter(fusion::contains).toList();
    }

    /** Repeated strategies (Random12 {@code random}, Random10 {@code random10}). */
    List<String> randomStrategies() {
        return strategies().stream().filter(StudySpec::isRandom).toList();
    }

    boolean hasStrategy(String strategy) {
        return strategies().contains(strategy);
    }

    /** The paper's name of a strategy, or its own name for one this build does not know. */
    static String displayName(String strategy) {
        try {
            return Strategies.byName(strategy).displayName();
        } catch (IllegalArgumentException e) {
            return strategy;
        }
    }
}
