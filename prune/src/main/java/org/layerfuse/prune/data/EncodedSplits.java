package org.layerfuse.prune.data;

import java.util.List;
import org.layerfuse.bert.tokenizer.Padding;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.tokenizer.WordPieceTokenizer;
import org.layerfuse.bert.train.EncodedExamples;

/**
 * A dataset's stratified splits, tokenized and padded to a fixed length (the paper pads or
 * truncates to 32 tokens): train (fine-tuning and healing), validation (ΔA for fusion),
 * test (reported accuracy), the healing subset (the first examples of train: the paper heals
 * each pruned model on "a small subset of training data") and the signal subset (the first
 * examples of train, on which the layer signals are computed).
 */
public record EncodedSplits(String dataset, List<String> labels, EncodedExamples train, EncodedExamples heal,
                            EncodedExamples validation, EncodedExamples test, EncodedExamples signal) {

    public static EncodedSplits of(LabeledDataset data, WordPieceTokenizer tokenizer, int trainSize, int healSize,
                                   int validationSize, int testSize, int signalSize, int maxLength, long seed) {
        if (healSize <= 0 || healSize > trainSize) {
            throw new IllegalArgumentException("--heal-size must be in [1, --train-size = " + trainSize + "], got "
                    + healSize);
        }
        if (signalSize <= 0 || signalSize > trainSize) {
            throw new IllegalArgumentException("--signal-size must be in [1, --train-size = " + trainSize + "], got "
                    + signalSize);
        }
        Splits.Split split = Splits.stratified(data, trainSize, validationSize, testSize, seed);
        EncodedExamples train = encode(split.train(), tokenizer, maxLength);
        return new EncodedSplits(data.name(), data.labelNames(), train, train.range(0, healSize),
                encode(split.validation(), tokenizer, maxLength), encode(split.test(), tokenizer, maxLength),
                train.range(0, signalSize));
    }

    /** Tokenizes examples (pairs when every example has a second text) padded to {@code maxLength}. */
    public static EncodedExamples encode(LabeledDataset data, WordPieceTokenizer tokenizer, int maxLength) {
        List<Example> examples = data.examples();
        List<String> texts = examples.stream().map(Example::text).toList();
        boolean pairs = !examples.isEmpty() && examples.stream().allMatch(e -> e.textPair() != null);
        TokenBatch tokens = pairs
                ? tokenizer.batchPairs(texts, examples.stream().map(Example::textPair).toList(), maxLength,
                        Padding.MAX_LENGTH)
                : tokenizer.batch(texts, maxLength, Padding.MAX_LENGTH);
        return new EncodedExamples(tokens, examples.stream().mapToInt(Example::label).toArray());
    }
}
