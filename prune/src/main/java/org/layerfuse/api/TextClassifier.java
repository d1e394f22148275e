package org.layerfuse.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.weights.PretrainedModels;

/**
 * Labels for texts from a fine-tuned (and possibly pruned) BERT classifier, for applications:
 * <pre>{@code
 * try (TextClassifier classifier = TextClassifier.load(Path.of("results/prune/model"))) {
 *     for (TextClassifier.Prediction p : classifier.classify(List.of("Win a FREE cruise!", "Lunch at 12?"))) {
 *         System.out.println(p.label() + " " + p.probability(p.label()));
 *     }
 * }
 * }</pre>
 * The folder is one that {@code layerfuse prune} or {@code layerfuse export} writes
 * (model.safetensors and/or model.onnx, config.json with {@code id2label}, the tokenizer).
 * Texts are batched internally and truncated to the model's length. Thread-safe: one instance
 * serves any number of threads, running up to {@link InferenceOptions#parallelism()} batches at
 * once over one copy of the weights.
 */
public final class TextClassifier implements AutoCloseable {

    /**
     * The label of one text.
     *
     * @param labelIndex    index of the most probable class in {@link #labels()}
     * @param probabilities softmax of the logits, one per class in {@link #labels()} order
     */
    public record Prediction(String label, int labelIndex, List<String> labels, double[] probabilities) {

        /** The probability of a class by name. */
        public double probability(String className) {
            int i = labels.indexOf(className);
            if (i < 0) {
                throw new IllegalArgumentException("no class '" + className + "'; classes: " + labels);
            }
            return probabilities[i];
        }

        @Override
        public String toString() {
            return label + " " + Arrays.toString(probabilities);
        }
    }

    private final String source;
    private final List<String> labels;
    private final TextBatches batches;
    private final EncoderForward forward;

    private TextClassifier(String source, List<String> labels, TextBatches batches, EncoderForward forward) {
        this.source = source;
        this.labels = labels;
        this.batches = batches;
        this.forward = forward;
    }

    /** Loads a classifier folder with {@link InferenceOptions#defaults()}. */
    public static TextClassifier load(Path folder) {
        return load(folder, InferenceOptions.defaults());
    }

    /**
     * @throws IllegalArgumentException if the folder is missing, unreadable, or holds an encoder
     *                                  without a classification head
     */
    public static TextClassifier load(Path folder, InferenceOptions options) {
        if (folder == null || !Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": not a directory; expected a model folder written by"
                    + " layerfuse prune or layerfuse export");
        }
        PretrainedModels.Pretrained p = PretrainedModels.load(folder.toString());
        BertConfig c = p.weights().config();
        if (c.labels().isEmpty() || !p.weights().has(ParamNames.CLASSIFIER_KERNEL) || !p.weights().hasPooler()) {
            throw new IllegalArgumentException(folder + ": the model has no classification head (no id2label in"
                    + " config.json, or no classifier weights); it is an encoder: use SentenceEncoder for vectors,"
                    + " or fine-tune it first (layerfuse prune / layerfuse eval)");
        }
        int maxLength = ModelLength.of(c, options);
        return new TextClassifier(folder.toString(), c.labels(),
                new TextBatches(p.tokenizer(), maxLength, options.batchSize(), folder.toString()),
                EncoderForward.of(p.weights(), options, folder.toString()));
    }

    /** The class names, in the order of each prediction's probabilities. */
    public List<String> labels() {
        return labels;
    }

    /** Tokens per text after truncation ([CLS] and [SEP] included). */
    public int maxLength() {
        return batches.maxLength();
    }

    /**
     * One prediction per text, in order.
     *
     * @throws IllegalArgumentException for a null or empty list, or a null text (its index is named)
     */
    public List<Prediction> classify(List<String> texts) {
        return run(texts, null);
    }

    /** One prediction per sentence pair {@code (first[i], second[i])}, encoded as {@code [CLS] a [SEP] b [SEP]}. */
    public List<Prediction> classifyPairs(List<String> first, List<String> second) {
        if (second == null) {
            throw new IllegalArgumentException("second texts must not be null");
        }
        return run(first, second);
    }

    private List<Prediction> run(List<String> first, List<String> second) {
        List<TextBatches.Batch> parts = batches.batches(first, second);
        Prediction[] out = new Prediction[first.size()];
        for (TextBatches.Batch b : parts) {
            float[][] logits = forward.run(b.tokens(), false, true).logits();
            for (int r = 0; r < logits.length; r++) {
                double[] probs = softmax(logits[r]);
                int best = 0;
                for (int k = 1; k < probs.length; k++) {
                    if (logits[r][k] > logits[r][best]) {
                        best = k;
                    }
                }
                out[b.indices()[r]] = new Prediction(labels.get(best), best, labels, probs);
            }
        }
        return List.of(out);
    }

    /** softmax(z) in double, shifted by the maximum. */
    static double[] softmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double[] p = new double[z.length];
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    @Override
    public void close() {
        forward.close();
    }

    @Override
    public String toString() {
        return "TextClassifier[" + source + ", labels " + labels + ", max length " + maxLength() + "]";
    }
}
