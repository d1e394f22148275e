package org.layerfuse.prune.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.layerfuse.prune.loop.RunDirectory;
import org.layerfuse.prune.loop.StepRecord;
import org.layerfuse.prune.study.Baseline;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudySpec;

/**
 * A small study results directory with hand-chosen numbers, written through the real
 * StudySpec, Baseline and StepRecord classes: 2 datasets × 2 healing modes × 5 strategies
 * (weight-norm, random and random10 with 3 repeats each, both fusions), a 6-layer model,
 * 3 layers removed per run. Each run is an accuracy per step (step 0 = the baseline) and
 * the order in which it removed layers.
 */
final class SyntheticStudy {

    static final List<String> DATASETS = List.of("alpha", "beta");
    static final List<String> HEALS = List.of("ce", "kd");
    static final List<String> STRATEGIES = List.of("weight-norm", "random", "random10", "linear-regression",
            "random-forest");
    static final int LAYERS = 6;
    static final int REMOVE = 3;
    static final int REPEATS = 3;
    static final long FULL_PARAMETERS = 1_000_000;
    static final long LAYER_PARAMETERS = 100_000;
    static final Map<String, Double> BASELINE = Map.of("alpha", 0.80, "beta", 0.60);

    /** One run: accuracy at steps 0..3 and the layers removed at steps 1..3. */
    record RunData(double[] accuracy, int[] removed) {
    }

    /** key: dataset/heal/strategy/repeat. */
    static final Map<String, RunData> RUNS = new LinkedHashMap<>();

    private static void run(String key, double[] acc, int... removed) {
        RUNS.put(key, new RunData(acc, removed));
    }

    static {
        // alpha, fine-tuning
        run("alpha/ce/weight-norm/0", new double[] {0.80, 0.70, 0.62, 0.55}, 0, 5, 1);
        run("alpha/ce/random/0", new double[] {0.80, 0.74, 0.70, 0.66}, 2, 0, 4);
        run("alpha/ce/random/1", new double[] {0.80, 0.76, 0.69, 0.60}, 5, 1, 3);
        run("alpha/ce/random/2", new double[] {0.80, 0.72, 0.73, 0.64}, 1, 3, 0);
        run("alpha/ce/random10/0", new double[] {0.80, 0.75, 0.71, 0.68}, 2, 3, 4);
        run("alpha/ce/random10/1", new double[] {0.80, 0.77, 0.72, 0.65}, 4, 1, 2);
        run("alpha/ce/random10/2", new double[] {0.80, 0.73, 0.74, 0.70}, 3, 2, 1);
        run("alpha/ce/linear-regression/0", new double[] {0.80, 0.79, 0.78, 0.74}, 2, 3, 1);
        run("alpha/ce/random-forest/0", new double[] {0.80, 0.81, 0.78, 0.77}, 3, 2, 4);
        // beta, fine-tuning: the fusions tie at 0.59
        run("beta/ce/weight-norm/0", new double[] {0.60, 0.50, 0.45, 0.40}, 0, 5, 4);
        run("beta/ce/random/0", new double[] {0.60, 0.55, 0.52, 0.50}, 1, 4, 2);
        run("beta/ce/random/1", new double[] {0.60, 0.53, 0.54, 0.48}, 3, 0, 5);
        run("beta/ce/random/2", new double[] {0.60, 0.57, 0.51, 0.49}, 4, 2, 1);
        run("beta/ce/random10/0", new double[] {0.60, 0.56, 0.53, 0.52}, 1, 2, 3);
        run("beta/ce/random10/1", new double[] {0.60, 0.54, 0.55, 0.50}, 3, 4, 1);
        run("beta/ce/random10/2", new double[] {0.60, 0.58, 0.52, 0.51}, 2, 1, 4);
        run("beta/ce/linear-regression/0", new double[] {0.60, 0.59, 0.57, 0.55}, 3, 2, 4);
        run("beta/ce/random-forest/0", new double[] {0.60, 0.58, 0.59, 0.56}, 2, 3, 1);
        // alpha, distillation
        run("alpha/kd/weight-norm/0", new double[] {0.80, 0.72, 0.66, 0.60}, 0, 5, 1);
        run("alpha/kd/random/0", new double[] {0.80, 0.77, 0.73, 0.70}, 3, 1, 0);
        run("alpha/kd/random/1", new double[] {0.80, 0.78, 0.74, 0.69}, 2, 5, 4);
        run("alpha/kd/random/2", new double[] {0.80, 0.75, 0.76, 0.71}, 0, 2, 3);
        run("alpha/kd/random10/0", new double[] {0.80, 0.78, 0.75, 0.72}, 1, 2, 3);
        run("alpha/kd/random10/1", new double[] {0.80, 0.76, 0.77, 0.73}, 4, 3, 2);
        run("alpha/kd/random10/2", new double[] {0.80, 0.79, 0.74, 0.70}, 2, 4, 1);
        run("alpha/kd/linear-regression/0", new double[] {0.80, 0.81, 0.81, 0.78}, 2, 3, 4); // max reached twice
        run("alpha/kd/random-forest/0", new double[] {0.80, 0.82, 0.83, 0.80}, 3, 2, 1);
        // beta, distillation
        run("beta/kd/weight-norm/0", new double[] {0.60, 0.52, 0.47, 0.44}, 0, 5, 4);
        run("beta/kd/random/0", new double[] {0.60, 0.56, 0.55, 0.51}, 5, 3, 1);
        run("beta/kd/random/1", new double[] {0.60, 0.58, 0.53, 0.52}, 2, 1, 4);
        run("beta/kd/random/2", new double[] {0.60, 0.54, 0.56, 0.50}, 0, 4, 3);
        run("beta/kd/random10/0", new double[] {0.60, 0.57, 0.56, 0.53}, 3, 1, 2);
        run("beta/kd/random10/1", new double[] {0.60, 0.59, 0.54, 0.52}, 1, 4, 3);
        run("beta/kd/random10/2", new double[] {0.60, 0.55, 0.57, 0.54}, 4, 2, 1);
        run("beta/kd/linear-regression/0", new double[] {0.60, 0.61, 0.60, 0.57}, 3, 2, 1);
        run("beta/kd/random-forest/0", new double[] {0.60, 0.62, 0.61, 0.58}, 2, 3, 4);
    }

    /** Feature importance of a fusion step: RF non-negative, LR signed; varies with dataset and step. */
    static double[] importance(String dataset, String strategy, int step) {
        double[] v = new double[12];
        int shift = dataset.equals("alpha") ? 0 : 1;
        for (int c = 0; c < 12; c++) {
            if (strategy.equals("random-forest")) {
                v[c] = 0.01 * ((c * 7 + step + shift) % 12 + 1);
            } else {
                v[c] = 0.1 * ((c * 5 + step * 3 + shift) % 11 - 5);
            }
        }
        return v;
    }

    static StudySpec spec() {
        return new StudySpec("tiny-bert", DATASETS, HEALS, STRATEGIES, REPEATS, REMOVE, LAYERS, 42, 100, 100, 50, 64, 32,
                32, "synthetic");
    }

    static long parameters(int step) {
        return FULL_PARAMETERS - step * LAYER_PARAMETERS;
    }

    /** Writes the whole study. */
    static void write(Path root) {
        StudyResults.writeSpec(root, spec());
        for (String d : DATASETS) {
            StudyResults.writeBaseline(root, new Baseline(d, "tiny-bert", BASELINE.get(d), 0.5, 0.7, FULL_PARAMETERS,
                    FULL_PARAMETERS * 4.0 / 1e6, LAYERS, 0.5, "synthetic"));
        }
        RUNS.forEach((key, run) -> writeRun(root, cellKey(key), run, REMOVE));
    }

    static CellKey cellKey(String key) {
        String[] p = key.split("/");
        return new CellKey(p[0], p[1], p[2], Integer.parseInt(p[3]));
    }

    /** Writes steps 0..upTo of a run. */
    static void writeRun(Path root, CellKey key, RunData run, int upTo) {
        writeRunWith(root, key, java.util.Arrays.copyOf(run.accuracy(), upTo + 1), run.removed(), LAYERS,
                FULL_PARAMETERS, LAYER_PARAMETERS);
    }

    /** Writes steps 0..accuracy.length-1 of a run of a model with {@code layers} layers. */
    static void writeRunWith(Path root, CellKey key, double[] accuracy, int[] removedOrder, int layers,
                             long fullParameters, long layerParameters) {
        Path dir = key.directory(root);
        List<Integer> live = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            live.add(l);
        }
        boolean fusion = key.strategy().equals("random-forest") || key.strategy().equals("linear-regression");
        for (int k = 0; k < accuracy.length; k++) {
            Integer removed = k == 0 ? null : removedOrder[k - 1];
            long parameters = fullParameters - k * layerParameters;
            if (removed != null) {
                live.remove(removed);
            }
            StepRecord r = new StepRecord(k, removed, live.stream().mapToInt(Integer::intValue).toArray(),
                    accuracy[k], accuracy[k] - 0.05, 0.5 + k * 0.1, accuracy[k] - 0.1, parameters,
                    parameters * 4.0 / 1e6, k == 0 ? null : "layer,signals\n", null,
                    k > 0 && fusion ? importance(key.dataset(), key.strategy(), k) : null, List.of(), Double.NaN,
                    k == 0 ? "baseline (unpruned)" : "synthetic", 0, 0, 0, 0);
            try {
                RunDirectory.writeText(dir.resolve(String.format(Locale.ROOT, "step-%03d.json", k)),
                        StudyResults.JSON.writeValueAsString(r));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
