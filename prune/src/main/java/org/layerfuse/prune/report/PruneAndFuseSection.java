package org.layerfuse.prune.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.layerfuse.prune.loop.StepCache;
import org.layerfuse.prune.loop.StepRecord;

/**
 * Prune-and-fuse (FuseGPT): grafting against removal alone and against CE and KD healing, and
 * the ablation of FuseGPT's Table 9 for encoders — static fusion (W + ½·W_p), learnable
 * fusion, learnable fusion with iterative re-scoring. Shown when the study has a grafting
 * healing mode or a macro-influence strategy.
 *
 * <p>The ablation compares configurations on the layers the one-shot macro-influence
 * strategy removes (the same layers under every healing mode, since one-shot scores do not
 * depend on healing); the iterative row removes the layers its own re-scoring picks.
 */
final class PruneAndFuseSection {

    static final String ONE_SHOT = "macro-influence-oneshot";
    static final String ITERATIVE = "macro-influence";

    /** FuseGPT Table 9's configurations: (label, strategy, healing mode). */
    private record Config(String label, String strategy, String heal) {
    }

    private PruneAndFuseSection() {
    }

    static boolean applies(ReportInputs in) {
        return in.heals().stream().anyMatch(h -> h.startsWith("graft"))
                || in.strategies().stream().anyMatch(s -> s.startsWith(ITERATIVE));
    }

    static void add(ReportInputs in, ReportContent out) {
        if (!applies(in)) {
            return;
        }
        ReportSection s = out.section("prune-and-fuse", "Prune-and-fuse: grafting removed blocks into their neighbours "
                + "(FuseGPT)");
        s.paragraph("Grafting (--heal graft) adds each removed block's matrices to the six matrices of its G nearest "
                + "live blocks through a learned low-rank coefficient, W ← W + (A·Bᵀ) ⊙ W_p, trains A and B by local "
                + "distillation (the window of the model before the removal teaches the fused window, on the same "
                + "inputs) and folds the result into plain weights. Static fusion (--heal graft-static) adds ½·W_p "
                + "with no data. Accuracies are test accuracies by number of layers removed, means over repeats.");
        String fixed = in.hasStrategy(ONE_SHOT) ? ONE_SHOT : ITERATIVE;
        List<Config> ablation = List.of(
                new Config("Removal only", fixed, "none"),
                new Config("Static fusion (W + ½·W_p)", fixed, "graft-static"),
                new Config("Learnable fusion", fixed, "graft"),
                new Config("Learnable fusion + iterative", ITERATIVE, "graft"),
                new Config("Fine-tuning (CE), same layers", fixed, "ce"),
                new Config("Distillation (KD), same layers", fixed, "kd"));
        int k = in.spec().layersToRemove();
        List<String> header = new ArrayList<>(List.of("Dataset", "Configuration", "Strategy", "Heal", "Layers removed"));
        for (int step = 1; step <= k; step++) {
            header.add("acc −" + step);
        }
        header.addAll(List.of("Heal s / step"));
        List<List<ReportTable.Cell>> rows = new ArrayList<>();
        for (String d : in.datasets()) {
            for (Config c : ablation) {
                if (!in.heals().contains(c.heal()) || !in.hasStrategy(c.strategy())) {
                    continue;
                }
                rows.add(row(in, out, d, c.label(), c.strategy(), c.heal(), k));
            }
        }
        if (rows.isEmpty()) {
            s.paragraph("The study has no cell of the ablation (strategies " + ONE_SHOT + " / " + ITERATIVE
                    + " with healing none, graft-static, graft).");
        } else {
            out.table(s, new ReportTable("graft-ablation", "Ablation (encoder analogue of FuseGPT Table 9)",
                    "Rows run " + ReportInputs.displayName(fixed) + " unless marked iterative, so the rows above "
                            + "the iterative one remove the same layers. Heal s / step: mean healing wall time per "
                            + "removal (grafting includes the teacher's window outputs), over the steps healed in this "
                            + "cell (a healing shared through the study's step cache is counted once, where it ran).", header, rows),
                    false);
        }

        List<String> grafted = in.strategies().stream().filter(st -> !st.startsWith(ITERATIVE)).toList();
        List<List<ReportTable.Cell>> others = new ArrayList<>();
        if (in.heals().contains("graft")) {
            for (String d : in.datasets()) {
                for (String st : grafted) {
                    for (String h : in.heals()) {
                        if (in.outcome(d, h, st).isPresent()) {
                            others.add(row(in, out, d, ReportInputs.displayName(st), st, h, k));
                        }
                    }
                }
            }
        }
        if (!others.isEmpty()) {
            out.table(s, new ReportTable("graft-by-strategy", "Grafting against the other healing modes, by strategy",
                    "Each strategy's run under each healing mode; with healing-dependent strategies the layers "
                            + "removed can differ between modes.", header, others), true);
        }
    }

    private static List<ReportTable.Cell> row(ReportInputs in, ReportContent out, String dataset, String label,
                                              String strategy, String heal, int k) {
        String p = "/pruneAndFuse" + ReportContent.pointer(dataset, heal, strategy);
        Optional<StrategyOutcome> o = in.outcome(dataset, heal, strategy);
        List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(dataset),
                ReportTable.Cell.text(label), ReportTable.Cell.text(strategy), ReportTable.Cell.text(heal),
                ReportTable.Cell.text(o.map(PruneAndFuseSection::order).orElse("—"))));
        double[] mean = o.map(x -> x.accuracy().mean()).orElse(new double[0]);
        for (int step = 1; step <= k; step++) {
            row.add(out.number(p, "accuracyStep" + step, step < mean.length ? mean[step] : Double.NaN,
                    Formats.ACCURACY));
        }
        // a step whose healing came from the study's step cache (shared with another cell) took no time
        double healSeconds = o.map(x -> x.runs().stream().flatMap(r -> r.pruned().stream())
                .filter(r -> r.heal() == null || !r.heal().endsWith(StepCache.REUSED))
                .mapToDouble(StepRecord::healSeconds).average().orElse(0)).orElse(Double.NaN);
        row.add(out.number(p, "healSecondsPerStep", healSeconds, "%.1f"));
        return row;
    }

    /** The first run's removal order, e.g. "3, 1" (repeats of a deterministic strategy agree). */
    private static String order(StrategyOutcome o) {
        return o.runs().get(0).pruned().stream().map(r -> String.valueOf(r.removedLayer()))
                .collect(Collectors.joining(", "));
    }

}
