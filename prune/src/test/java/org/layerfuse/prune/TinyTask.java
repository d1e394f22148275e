package org.layerfuse.prune;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.train.EncodedExamples;
import org.layerfuse.bert.train.TrainerOptions;
import org.layerfuse.prune.loop.SignalSource;
import org.layerfuse.prune.signals.LayerSignals;
import org.layerfuse.prune.signals.Signal;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A small BERT and a synthetic task (label 1 iff token 5 occurs) for loop tests. */
public final class TinyTask {

    public static final BertConfig CONFIG = new BertConfig(40, 32, 4, 4, 64, Activation.GELU_ERF, 16, 2, 1e-12, -10000.0,
            List.of("absent", "present"));

    private TinyTask() {
    }

    public static EncodedExamples examples(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int len = 8;
        int[][] ids = new int[n][len];
        int[][] types = new int[n][len];
        int[][] mask = new int[n][len];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int real = r.nextInt(4, len + 1);
            labels[i] = i % 2;
            ids[i][0] = 1;
            for (int t = 1; t < real; t++) {
                ids[i][t] = r.nextInt(6, 40);
            }
            if (labels[i] == 1) {
                ids[i][r.nextInt(1, real)] = 5;
            }
            for (int t = 0; t < real; t++) {
                mask[i][t] = 1;
            }
        }
        return new EncodedExamples(new TokenBatch(ids, types, mask), labels);
    }

    public static TrainerOptions training() {
        return TrainerOptions.defaults().withLearningRate(3e-3).withBatchSize(16).withEpochs(1).withLogEvery(0);
    }

    public static BertModel trainedModel() {
        BertModel m = BertModel.random(CONFIG, 1, DataType.FLOAT);
        org.layerfuse.bert.train.Trainer.train(m, examples(256, 2), training().withEpochs(8));
        return m;
    }

    /** Deterministic stand-in signals: each column a different function of the layer's weight norms. */
    public static SignalSource weightSignals() {
        return model -> {
            boolean[] live = model.liveMask();
            double[][] v = new double[live.length][];
            Map<String, INDArray> p = model.allParameters();
            for (int l = 0; l < live.length; l++) {
                if (!live[l]) {
                    continue;
                }
                v[l] = new double[Signal.values().length];
                int c = 0;
                for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                    double norm = p.get(m.kernel(l)).norm2Number().doubleValue();
                    v[l][c++] = norm;
                    v[l][c++] = norm * norm + l;
                }
            }
            return new LayerSignals(live, v);
        };
    }
}
