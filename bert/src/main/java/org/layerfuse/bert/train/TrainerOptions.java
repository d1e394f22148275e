package org.layerfuse.bert.train;

import java.util.Locale;

/**
 * Fine-tuning settings. Defaults follow BERT's fine-tuning recipe: AdamW, lr 2e−5 with 10%
 * linear warm-up then linear decay, weight decay 0.01 (not on biases and layer norms),
 * gradient clipping at norm 1, batch 32.
 *
 * @param epochs          passes over the training examples
 * @param maxSteps        if &gt; 0, stop after this many steps (overrides epochs for the schedule)
 * @param checkpointEvery save a resumable checkpoint every this many steps (0: only at the end)
 * @param logEvery        print a progress line at most every this many steps (0: no progress output)
 */
public record TrainerOptions(double learningRate, int batchSize, int epochs, long maxSteps, double warmupFraction,
                             AdamW.Hyper adam, long seed, int checkpointEvery, int logEvery) {

    public TrainerOptions {
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("--lr must be > 0, got " + learningRate);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("--batch-size must be > 0, got " + batchSize);
        }
        if (epochs <= 0 && maxSteps <= 0) {
            throw new IllegalArgumentException("need --epochs > 0 or --max-steps > 0");
        }
        if (!(warmupFraction >= 0 && warmupFraction < 1)) {
            throw new IllegalArgumentException("warm-up fraction must be in [0, 1), got " + warmupFraction);
        }
        if (checkpointEvery < 0 || logEvery < 0) {
            throw new IllegalArgumentException("checkpointEvery and logEvery must be >= 0");
        }
    }

    public static TrainerOptions defaults() {
        return new TrainerOptions(2e-5, 32, 3, 0, 0.1, AdamW.Hyper.defaults(), 42, 0, 10);
    }

    public TrainerOptions withLearningRate(double lr) {
        return new TrainerOptions(lr, batchSize, epochs, maxSteps, warmupFraction, adam, seed, checkpointEvery, logEvery);
    }

    public TrainerOptions withEpochs(int e) {
        return new TrainerOptions(learningRate, batchSize, e, maxSteps, warmupFraction, adam, seed, checkpointEvery,
                logEvery);
    }

    public TrainerOptions withMaxSteps(long steps) {
        return new TrainerOptions(learningRate, batchSize, epochs, steps, warmupFraction, adam, seed, checkpointEvery,
                logEvery);
    }

    public TrainerOptions withBatchSize(int b) {
        return new TrainerOptions(learningRate, b, epochs, maxSteps, warmupFraction, adam, seed, checkpointEvery, logEvery);
    }

    public TrainerOptions withSeed(long s) {
        return new TrainerOptions(learningRate, batchSize, epochs, maxSteps, warmupFraction, adam, s, checkpointEvery,
                logEvery);
    }

    public TrainerOptions withCheckpointEvery(int every) {
        return new TrainerOptions(learningRate, batchSize, epochs, maxSteps, warmupFraction, adam, seed, every, logEvery);
    }

    public TrainerOptions withLogEvery(int every) {
        return new TrainerOptions(learningRate, batchSize, epochs, maxSteps, warmupFraction, adam, seed, checkpointEvery,
                every);
    }

    /** Total optimizer steps for {@code n} training examples. */
    public long totalSteps(int n) {
        long perEpoch = (n + batchSize - 1) / batchSize;
        return maxSteps > 0 ? maxSteps : perEpoch * epochs;
    }

    /** A string that changes whenever a setting that affects the result changes (checkpoint compatibility). */
    public String fingerprint() {
        return String.format(Locale.ROOT, "lr=%s,batch=%d,epochs=%d,maxSteps=%d,warmup=%s,adam=%s,seed=%d", learningRate,
                batchSize, epochs, maxSteps, warmupFraction, adam, seed);
    }
}
