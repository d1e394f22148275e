package org.layerfuse.prune.graft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Forward;
import org.layerfuse.bert.train.EncodedExamples;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The teacher's side of local distillation, computed once per removal with the removed block
 * still in place: for every calibration example, the hidden state entering the window's span
 * (the same for teacher and student, since the blocks before the span are untouched) and the
 * hidden state leaving it, with the attention mask.
 *
 * @param inputs  {@code [n, S·H]}, the span's input per example
 * @param targets {@code [n, S·H]}, the teacher's span output per example
 * @param masks   {@code [n][S]}, 1 for real tokens
 */
record WindowData(INDArray inputs, INDArray targets, int[][] masks, int hidden) {

    private static final int BATCH = 32;

    /**
     * Runs the model with {@code window.removed()} put back (then removed again, also on error)
     * over the calibration examples.
     */
    static WindowData teacher(BertModel model, GraftWindow window, EncodedExamples calibration) {
        if (calibration.size() == 0) {
            throw new IllegalArgumentException("grafting needs calibration examples, got none");
        }
        int inputLayer = window.inputLayer(model.liveMask());
        List<INDArray> inputs = new ArrayList<>();
        List<INDArray> targets = new ArrayList<>();
        model.restoreLayer(window.removed());
        try {
            for (int from = 0; from < calibration.size(); from += BATCH) {
                EncodedExamples part = calibration.range(from, Math.min(calibration.size(), from + BATCH));
                Forward f = model.forward(part.tokens(), true, false);
                INDArray in = inputLayer < 0 ? f.embeddings() : f.hiddenStates().get(inputLayer);
                inputs.add(in.reshape('c', in.size(0), in.size(1) * in.size(2)).dup('c'));
                INDArray out = f.hiddenStates().get(window.last());
                targets.add(out.reshape('c', out.size(0), out.size(1) * out.size(2)).dup('c'));
            }
        } finally {
            model.removeLayer(window.removed());
        }
        return new WindowData(Nd4j.concat(0, inputs.toArray(INDArray[]::new)),
                Nd4j.concat(0, targets.toArray(INDArray[]::new)), calibration.tokens().attentionMask(),
                model.config().hiddenSize());
    }

    int size() {
        return masks.length;
    }

    /** The window graph's placeholders for the examples at {@code rows}. */
    Map<String, INDArray> batch(int[] rows) {
        int s = masks[0].length;
        long n = (long) rows.length * s;
        double[] mask = new double[Math.toIntExact(n)];
        int real = 0;
        for (int i = 0; i < rows.length; i++) {
            for (int t = 0; t < s; t++) {
                mask[i * s + t] = masks[rows[i]][t];
                real += masks[rows[i]][t] != 0 ? 1 : 0;
            }
        }
        if (real == 0) {
            throw new IllegalArgumentException("a calibration batch has no real token");
        }
        INDArray maskArray = Nd4j.create(mask, new long[] {rows.length, s}, 'c').castTo(inputs.dataType());
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(WindowGraph.INPUT, Nd4j.pullRows(inputs, 1, rows).reshape('c', n, hidden));
        ph.put(WindowGraph.TARGET, Nd4j.pullRows(targets, 1, rows).reshape('c', n, hidden));
        ph.put(WindowGraph.MASK, maskArray);
        ph.put(WindowGraph.TOKEN_WEIGHT, maskArray.reshape('c', n, 1).div(real));
        return ph;
    }

    /** Every example, in order. */
    int[] all() {
        int[] rows = new int[size()];
        java.util.Arrays.setAll(rows, i -> i);
        return rows;
    }
}
