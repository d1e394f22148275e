package org.layerfuse.bert.train;

import org.layerfuse.bert.BitwiseArrays;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Training on a synthetic task a small BERT can learn: label 1 iff token 5 occurs in the
 * sequence (position-independent, so attention must find it).
 */
class TrainerTest {

    static final BertConfig CONFIG = new BertConfig(40, 32, 3, 4, 64, Activation.GELU_ERF, 16, 2, 1e-12, -10000.0,
            List.of("absent", "present"));

    static EncodedExamples task(int n, long seed) {
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
                int id;
                do {
                    id = r.nextInt(6, 40);
                } while (id == 5);
                ids[i][t] = id;
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

    static TrainerOptions options() {
        return TrainerOptions.defaults().withLearningRate(3e-3).withBatchSize(16).withEpochs(12).withLogEvery(0);
    }

    @Test
    void fineTuningLearnsTheTask() {
        BertModel model = BertModel.random(CONFIG, 1, DataType.FLOAT);
        EncodedExamples train = task(256, 2);
        EncodedExamples test = task(128, 3);
        double before = Evaluator.evaluate(model, test, 64).accuracy();
        Trainer.Result result = Trainer.train(model, train, options());
        Evaluation after = Evaluator.evaluate(model, test, 64);
        assertTrue(after.accuracy() >= 0.9, "accuracy " + before + " -> " + after + ", " + result);
        assertTrue(after.loss() < 0.4, after.toString());
    }

    @Test
    void resumedRunEqualsUninterruptedRunBitwise(@TempDir Path dir) {
        EncodedExamples train = task(64, 4);
        TrainerOptions opt = options().withEpochs(2).withCheckpointEvery(3);
        BertModel straight = BertModel.random(CONFIG, 5, DataType.FLOAT);
        Trainer.train(straight, train, opt, null, null);

        BertModel interrupted = BertModel.random(CONFIG, 5, DataType.FLOAT);
        Trainer.Result first = Trainer.train(interrupted, train, opt, null, dir, (step, loss) -> step < 3);
        assertEquals(3, first.stepsDone());
        assertTrue(Files.exists(dir.resolve(Trainer.CHECKPOINT_FILE)));

        BertModel resumed = BertModel.random(CONFIG, 5, DataType.FLOAT);
        Trainer.Result second = Trainer.train(resumed, train, opt, null, dir);
        assertEquals(3, second.resumedFromStep());
        assertEquals(8, second.stepsDone());
        for (Map.Entry<String, INDArray> e : straight.parameters().entrySet()) {
            BitwiseArrays.assertBitwiseEqual(e.getValue(), resumed.parameters().get(e.getKey()), "parameter " + e.getKey());
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefused(@TempDir Path dir) {
        EncodedExamples train = task(32, 6);
        BertModel model = BertModel.random(CONFIG, 7, DataType.FLOAT);
        Trainer.train(model, train, options().withMaxSteps(2), null, dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.train(model, train, options().withMaxSteps(2).withLearningRate(1e-4), null, dir));
        assertTrue(e.getMessage().contains("different training configuration"), e.getMessage());
    }

    @Test
    void distilledStudentIsCloserToTheTeacherThanCrossEntropyStudent() {
        EncodedExamples train = task(256, 8);
        EncodedExamples held = task(128, 9);
        BertModel teacher = BertModel.random(CONFIG, 10, DataType.FLOAT);
        Trainer.train(teacher, train, options());

        BertModel ceStudent = teacher.copy();
        ceStudent.removeLayer(1);
        BertModel kdStudent = teacher.copy();
        kdStudent.removeLayer(1);
        TrainerOptions budget = options().withEpochs(3).withLearningRate(1e-3);
        Trainer.train(ceStudent, train, budget);
        Distiller.distill(kdStudent, teacher, train, budget);

        INDArray zt = Evaluator.logits(teacher, held, 64);
        double klCe = meanKl(zt, Evaluator.logits(ceStudent, held, 64));
        double klKd = meanKl(zt, Evaluator.logits(kdStudent, held, 64));
        assertTrue(klKd < klCe, "KL(teacher||KD student) " + klKd + " < KL(teacher||CE student) " + klCe);
    }

    /** Mean KL(softmax(zt) ‖ softmax(zs)) over rows, computed here independently. */
    static double meanKl(INDArray teacherLogits, INDArray studentLogits) {
        double[][] t = teacherLogits.toDoubleMatrix();
        double[][] s = studentLogits.toDoubleMatrix();
        double sum = 0;
        for (int i = 0; i < t.length; i++) {
            double[] pt = softmax(t[i]);
            double[] ps = softmax(s[i]);
            for (int c = 0; c < pt.length; c++) {
                sum += pt[c] * (Math.log(pt[c]) - Math.log(ps[c]));
            }
        }
        return sum / t.length;
    }

    static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
