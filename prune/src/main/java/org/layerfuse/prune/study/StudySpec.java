package org.layerfuse.prune.study;

import java.util.List;

/**
 * What a study runs: models × datasets × healing modes × strategies, random strategies
 * repeated, each run removing {@code layersToRemove} layers. Written to
 * {@code <out>/study.json}; the report reads it to know what is expected (and so what is
 * missing from a partial results directory).
 */
public record StudySpec(String model, List<String> datasets, List<String> heals, List<String> strategies,
                        int randomRepeats, int layersToRemove, int numLayers, long seed, int trainSize,
                        int healSize, int validationSize, int testSize, int signalSize, int maxLength, String trainer) {

    public StudySpec {
        datasets = List.copyOf(datasets);
        heals = List.copyOf(heals);
        strategies = List.copyOf(strategies);
    }

    /** True for strategies whose runs are repeated with different seeds. */
    public static boolean isRandom(String strategy) {
        return strategy.startsWith("random") && !strategy.equals("random-forest");
    }

    public int repeatsOf(String strategy) {
        return isRandom(strategy) ? randomRepeats : 1;
    }

    /** Every cell the spec asks for. */
    public List<CellKey> cells() {
        List<CellKey> out = new java.util.ArrayList<>();
        for (String d : datasets) {
            for (String h : heals) {
                for (String s : strategies) {
                    for (int r = 0; r < repeatsOf(s); r++) {
                        out.add(new CellKey(d, h, s, r));
                    }
                }
            }
        }
        return out;
    }
}
