package org.layerfuse.prune.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.layerfuse.prune.loop.StepRecord;

/**
 * Section 6 (Fig. 7): the step at which each layer was removed, averaged per strategy over
 * datasets and repeats. A layer a complete run kept counts as removed at step T + 1 (T the
 * layers to remove); an incomplete run counts only the layers it removed.
 */
final class LayerOrderSection {

    private LayerOrderSection() {
    }

    /** Per strategy: mean removal step per layer, runs counted, runs that removed it. */
    record Order(double[] mean, int[] runs, int[] removedIn) {

        boolean kept(int layer) {
            return runs[layer] > 0 && removedIn[layer] == 0;
        }
    }

    static Order order(ReportInputs in, String heal, String strategy) {
        int layers = in.numLayers();
        double[] sum = new double[layers];
        int[] runs = new int[layers];
        int[] removed = new int[layers];
        int keptStep = in.spec().layersToRemove() + 1;
        for (String d : in.datasets()) {
            for (Run r : in.runs(d, heal, strategy)) {
                boolean[] seen = new boolean[layers];
                for (StepRecord s : r.pruned()) {
                    int l = s.removedLayer();
                    seen[l] = true;
                    sum[l] += s.step();
                    runs[l]++;
                    removed[l]++;
                }
                if (r.complete()) {
                    for (int l = 0; l < layers; l++) {
                        if (!seen[l]) {
                            sum[l] += keptStep;
                            runs[l]++;
                        }
                    }
                }
            }
        }
        double[] mean = new double[layers];
        for (int l = 0; l < layers; l++) {
            mean[l] = runs[l] == 0 ? Double.NaN : sum[l] / runs[l];
        }
        return new Order(mean, runs, removed);
    }

    static void add(ReportInputs in, ReportContent out) {
        ReportSection s = out.section("layer-order", "Order of layer removal (Fig. 7)");
        int keptStep = in.spec().layersToRemove() + 1;
        s.paragraph("Mean step at which each layer was removed (1 = first), over datasets and repeats. A layer that "
                + "a complete run never removed counts as removed at step " + keptStep + " (one after the last); "
                + "incomplete runs count only the layers they removed. Cells marked \"kept\" (outlined): no run "
                + "removed that layer. Grey \"–\": no data. Darker = removed later = judged more important.");
        for (String h : in.heals()) {
            String base = ReportContent.pointer("heals", h, "layerOrder");
            out.node(base).put("layers", in.numLayers());
            out.node(base).put("keptStep", keptStep);
            List<String> names = new ArrayList<>();
            List<double[]> means = new ArrayList<>();
            List<boolean[]> kepts = new ArrayList<>();
            List<String> header = new ArrayList<>(List.of("Strategy"));
            for (int l = 0; l < in.numLayers(); l++) {
                header.add("L" + l);
            }
            List<List<ReportTable.Cell>> rows = new ArrayList<>();
            for (String st : in.strategies()) {
                Order o = order(in, h, st);
                if (java.util.Arrays.stream(o.runs()).allMatch(r -> r == 0)) {
                    continue;
                }
                String p = base + ReportContent.pointer("strategies", st);
                ObjectNode n = out.node(p);
                ArrayNode runs = n.putArray("runs");
                ArrayNode removedIn = n.putArray("removedIn");
                ArrayNode kept = n.putArray("kept");
                boolean[] k = new boolean[o.mean().length];
                List<ReportTable.Cell> row = new ArrayList<>(List.of(ReportTable.Cell.text(ReportInputs.displayName(st))));
                ArrayNode meanArray = n.putArray("meanStep");
                for (int l = 0; l < o.mean().length; l++) {
                    runs.add(o.runs()[l]);
                    removedIn.add(o.removedIn()[l]);
                    k[l] = o.kept(l);
                    kept.add(k[l]);
                    if (Double.isFinite(o.mean()[l])) {
                        meanArray.add(o.mean()[l]);
                    } else {
                        meanArray.addNull();
                    }
                    row.add(ReportTable.Cell.number(o.mean()[l], Formats.STEP, p + "/meanStep/" + l).bolded(k[l]));
                }
                rows.add(row);
                names.add(ReportInputs.displayName(st));
                means.add(o.mean());
                kepts.add(k);
            }
            if (rows.isEmpty()) {
                s.paragraph("Healing " + h + ": no layer removed yet.");
                continue;
            }
            out.figure(s, "layer-order-" + h, "Layer removal order, healing " + h, "Mean removal step per layer and "
                    + "strategy, healing " + h + ".", LayerOrderHeatmap.render("Mean step at which each layer was "
                    + "removed — healing: " + h, names, means.toArray(new double[0][]), kepts.toArray(new boolean[0][]),
                    keptStep));
            out.table(s, new ReportTable("layer-order-" + h, "Mean removal step, healing " + h, "Bold: kept, no run "
                    + "removed the layer.", header, rows), true);
        }
    }
}
