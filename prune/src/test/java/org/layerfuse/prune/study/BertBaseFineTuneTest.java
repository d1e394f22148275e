package org.layerfuse.prune.study;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.AdamW;
import org.layerfuse.bert.train.Evaluation;
import org.layerfuse.bert.train.Evaluator;
import org.layerfuse.bert.train.Trainer;
import org.layerfuse.bert.train.TrainerOptions;
import org.layerfuse.engine.Backend;
import org.layerfuse.prune.data.Datasets;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.data.TextFileOptions;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The paper's model on real data: Google's BERT-base uncased (from its TF SavedModel)
 * fine-tuned at max length 32 on SpamAssassin ham vs spam. Minutes on 2 cores, so tagged
 * slow: {@code mvn verify -Dlayerfuse.slow=true}.
 */
@Tag("slow")
class BertBaseFineTuneTest {

    @Test
    void bertBaseLearnsHamVersusSpam() throws Exception {
        Backend.init();
        PretrainedModels.Pretrained bert = PretrainedModels.load("bert-base");
        EncodedSplits splits = EncodedSplits.of(Datasets.load("spam-assassin", TextFileOptions.defaults()),
                bert.tokenizer(), 256, 128, 64, 256, 32, 32, 42);
        BertModel model = BertModel.forClassification(bert.weights(), splits.labels(), 42, DataType.FLOAT);
        long t0 = System.nanoTime();
        Trainer.Result r = Trainer.train(model, splits.train(),
                new TrainerOptions(5e-5, 32, 5, 0, 0.1, AdamW.Hyper.defaults(), 42, 0, 1));
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        Evaluation e = Evaluator.evaluate(model, splits.test(), 64);
        double evalSeconds = (System.nanoTime() - t1) / 1e9;
        String line = String.format(Locale.ROOT, "BERT-base fine-tuned on 256 SpamAssassin messages (5 epochs, %d steps, "
                + "%.0f s): test %s; evaluation of 256 examples %.1f s", r.stepsDone(), trainSeconds, e, evalSeconds);
        System.out.println(line);
        Files.writeString(Path.of("target", "bert-base-fine-tune.txt"), line + "\n");
        assertTrue(e.accuracy() >= 0.90, line);
    }
}
