package org.layerfuse.bert.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.Gradients;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.engine.Progress;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fine-tunes a {@link BertModel} in place with mini-batch AdamW under a linear warm-up/decay
 * schedule, optionally with distillation targets.
 *
 * <p>Repeatable: the example order of epoch e is a Fisher–Yates shuffle seeded by (seed, e),
 * and nothing else is random, so the same seed and thread count give the same weights. With a
 * checkpoint directory the run saves weights, optimizer state and step (atomically) every
 * {@code checkpointEvery} steps and at the end, and a later call with the same directory,
 * model shape, data size and options resumes from the last saved step.
 */
public final class Trainer {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CHECKPOINT_FILE = "training-checkpoint.bin";

    /** Called after every step (after any checkpoint of that step is written); false stops the run. */
    @FunctionalInterface
    public interface StepListener {
        boolean afterStep(long step, double loss);
    }

    /** What a run did. */
    public record Result(long stepsDone, long resumedFromStep, double lastLoss, double meanLossLastEpoch, double seconds) {
    }

    private Trainer() {
    }

    /** Plain fine-tuning with cross-entropy. */
    public static Result train(BertModel model, EncodedExamples data, TrainerOptions options) {
        return train(model, data, options, null, null);
    }

    /**
     * @param kd         distillation targets, or null for cross-entropy only
     * @param checkpoint directory for a resumable checkpoint, or null
     */
    public static Result train(BertModel model, EncodedExamples data, TrainerOptions options, KdTargets kd,
                               Path checkpoint) {
        return train(model, data, options, kd, checkpoint, (step, loss) -> true);
    }

    /** As above, with a listener that sees every step and may stop the run early. */
    public static Result train(BertModel model, EncodedExamples data, TrainerOptions options, KdTargets kd,
                               Path checkpoint, StepListener listener) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("no training examples");
        }
        if (kd != null && kd.teacherLogits().rows() != data.size()) {
            throw new IllegalArgumentException("teacher logits have " + kd.teacherLogits().rows() + " rows for "
                    + data.size() + " examples");
        }
        long total = options.totalSteps(data.size());
        long perEpoch = (data.size() + options.batchSize() - 1) / options.batchSize();
        LinearWarmupSchedule schedule = new LinearWarmupSchedule(options.learningRate(),
                Math.round(options.warmupFraction() * total), total);
        AdamW adam = new AdamW(options.adam(), name -> !ParamNames.isBiasOrNorm(name));
        Map<String, INDArray> params = model.parameters();
        String fingerprint = fingerprint(model, data, options, kd);

        long start = 0;
        if (checkpoint != null) {
            start = resume(checkpoint.resolve(CHECKPOINT_FILE), fingerprint, params, adam);
        }
        long began = System.nanoTime();
        double lastLoss = Double.NaN;
        double epochLossSum = 0;
        int epochLossCount = 0;
        double lastEpochMean = Double.NaN;
        int[] order = null;
        long orderEpoch = -1;
        Progress progress = options.logEvery() > 0 ? new Progress("train", total - start) : null;
        long step = start;
        for (; step < total; step++) {
            long epoch = step / perEpoch;
            if (epoch != orderEpoch) {
                if (epochLossCount > 0) {
                    lastEpochMean = epochLossSum / epochLossCount;
                }
                epochLossSum = 0;
                epochLossCount = 0;
                order = shuffledOrder(data.size(), options.seed(), epoch);
                orderEpoch = epoch;
            }
            int from = (int) ((step % perEpoch) * options.batchSize());
            int[] idx = Arrays.copyOfRange(order, from, Math.min(data.size(), from + options.batchSize()));
            EncodedExamples batch = data.select(idx);
            Gradients g = kd == null
                    ? model.gradients(batch.tokens(), batch.labels())
                    : model.gradients(batch.tokens(), batch.labels(), rows(kd.teacherLogits(), idx), kd.alpha(),
                            kd.temperature());
            double lr = schedule.at(step);
            double norm = adam.step(params, g, lr);
            lastLoss = g.loss();
            model.recycle(g); // the next step's gradients go into these arrays
            epochLossSum += lastLoss;
            epochLossCount++;
            if (progress != null) {
                progress.step(String.format(Locale.ROOT, "loss %.4f lr %.2e |g| %.2f", lastLoss, lr, norm));
            }
            boolean last = step + 1 == total;
            if (checkpoint != null && (last || (options.checkpointEvery() > 0
                    && (step + 1) % options.checkpointEvery() == 0))) {
                save(checkpoint.resolve(CHECKPOINT_FILE), fingerprint, step + 1, params, adam);
            }
            if (!listener.afterStep(step + 1, lastLoss)) {
                step++;
                break;
            }
        }
        if (progress != null) {
            progress.close();
        }
        adam.free();
        model.releaseGradientMemory(); // the steps' kept intermediates (graph.ArrayPool), not needed after training
        if (epochLossCount > 0) {
            lastEpochMean = epochLossSum / epochLossCount;
        }
        return new Result(step, start, lastLoss, lastEpochMean, (System.nanoTime() - began) / 1e9);
    }

    /** The seeded Fisher–Yates permutation of {@code 0..n−1} used in epoch {@code epoch}. */
    public static int[] shuffledOrder(int n, long seed, long epoch) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static INDArray rows(INDArray matrix, int[] idx) {
        return org.nd4j.linalg.factory.Nd4j.pullRows(matrix, 1, idx);
    }

    private static String fingerprint(BertModel model, EncodedExamples data, TrainerOptions options, KdTargets kd) {
        return options.fingerprint() + ";model=" + model + ";live=" + Arrays.toString(model.liveLayers()) + ";n="
                + data.size() + ";kd=" + (kd == null ? "none" : kd.alpha() + "/" + kd.temperature());
    }

    private static void save(Path file, String fingerprint, long step, Map<String, INDArray> params, AdamW adam) {
        ObjectNode header = JSON.createObjectNode();
        header.put("fingerprint", fingerprint);
        header.put("step", step);
        header.put("adamStep", adam.stepCount());
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        params.forEach((k, v) -> arrays.put("param:" + k, v));
        arrays.putAll(adam.state());
        TensorFile.write(file, header.toString(), arrays);
    }

    private static long resume(Path file, String fingerprint, Map<String, INDArray> params, AdamW adam) {
        if (!Files.exists(file)) {
            return 0;
        }
        TensorFile.Contents c = TensorFile.read(file);
        ObjectNode header;
        try {
            header = (ObjectNode) JSON.readTree(c.header());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": unreadable checkpoint header", e);
        }
        String saved = header.path("fingerprint").asText();
        if (!saved.equals(fingerprint)) {
            throw new IllegalArgumentException(file + " was written by a different training configuration; expected "
                    + fingerprint + " but found " + saved + ". Use another checkpoint directory or delete it.");
        }
        Map<String, INDArray> state = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : c.arrays().entrySet()) {
            if (e.getKey().startsWith("param:")) {
                INDArray target = params.get(e.getKey().substring(6));
                if (target == null) {
                    throw new IllegalArgumentException(file + ": parameter '" + e.getKey().substring(6)
                            + "' is not in the model");
                }
                target.assign(e.getValue());
            } else {
                state.put(e.getKey(), e.getValue());
            }
        }
        adam.restore(state, header.path("adamStep").asLong());
        return header.path("step").asLong();
    }
}
