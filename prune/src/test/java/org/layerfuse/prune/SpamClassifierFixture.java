package org.layerfuse.prune;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.Trainer;
import org.layerfuse.bert.train.TrainerOptions;
import org.layerfuse.prune.data.ColumnSpec;
import org.layerfuse.prune.data.Datasets;
import org.layerfuse.prune.data.EncodedSplits;
import org.layerfuse.prune.data.Example;
import org.layerfuse.prune.data.LabeledDataset;
import org.layerfuse.prune.data.Splits;
import org.layerfuse.prune.data.TextFileOptions;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.export.ExportFormat;
import org.layerfuse.weights.export.ModelExport;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A real deployable classifier, made once per JVM: MiniLM with layer 3 removed, fine-tuned for a
 * few steps on SpamAssassin (ham vs spam, 32 tokens), exported as an ONNX-only folder; and the
 * CSV of real messages it was trained on and is tested on.
 */
public final class SpamClassifierFixture {

    public static final int TRAIN = 64, VALIDATION = 16, TEST = 64, MAX_LENGTH = 32;
    public static final long SEED = 42;

    private static SpamClassifierFixture instance;

    public final PretrainedModels.Pretrained minilm;
    /** ONNX export of the pruned, fine-tuned classifier (model.onnx, config.json, tokenizer.json). */
    public final Path folder;
    /** TRAIN + VALIDATION + TEST messages as {@code text,label}. */
    public final Path csv;
    public final LabeledDataset data;
    public final BertModel model;

    private SpamClassifierFixture(Path dir) throws IOException {
        minilm = PretrainedModels.load("minilm");
        LabeledDataset corpus = Datasets.load("spam-assassin", TextFileOptions.defaults());
        Splits.Split pick = Splits.stratified(corpus, TRAIN, VALIDATION, TEST, SEED);
        List<Example> rows = new ArrayList<>(pick.train().examples());
        rows.addAll(pick.validation().examples());
        rows.addAll(pick.test().examples());
        csv = dir.resolve("spam.csv");
        try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8);
             CSVPrinter p = CSVFormat.DEFAULT.builder().setHeader("text", "label").get().print(w)) {
            for (Example e : rows) {
                p.printRecord(e.text(), corpus.labelNames().get(e.label()));
            }
        }
        data = Datasets.load(csv.toString(), TextFileOptions.of(new ColumnSpec("text", "label")));
        EncodedSplits splits = EncodedSplits.of(data, minilm.tokenizer(), TRAIN, TRAIN, VALIDATION, TEST, TRAIN,
                MAX_LENGTH, SEED);
        model = BertModel.forClassification(minilm.weights(), data.labelNames(), SEED, DataType.FLOAT);
        model.removeLayer(3);
        Trainer.train(model, splits.train(), TrainerOptions.defaults().withLearningRate(2e-4).withBatchSize(16)
                .withEpochs(3).withLogEvery(0).withSeed(SEED));
        folder = dir.resolve("spam-minilm-5l");
        ModelExport.write(model.exportWeights(), minilm.tokenizerFile(), folder, ExportFormat.ONNX, false);
    }

    public static synchronized SpamClassifierFixture get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory("layerfuse-deploy-test");
                dir.toFile().deleteOnExit();
                instance = new SpamClassifierFixture(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** The test split of {@link #csv} exactly as {@code layerfuse eval} picks it with the same sizes and seed. */
    public LabeledDataset testSplit() {
        return Splits.stratified(data, TRAIN, VALIDATION, TEST, SEED).test();
    }

    /** The {@code layerfuse eval} arguments that split {@link #csv} as {@link #testSplit()} does. */
    public List<String> evalArgs() {
        return List.of("eval", "--model", folder.toString(), "--no-fine-tune", "--data", csv.toString(),
                "--train-size", "" + TRAIN, "--heal-size", "" + TRAIN, "--signal-size", "" + TRAIN,
                "--validation-size", "" + VALIDATION, "--test-size", "" + TEST, "--max-length", "" + MAX_LENGTH,
                "--seed", "" + SEED);
    }
}
