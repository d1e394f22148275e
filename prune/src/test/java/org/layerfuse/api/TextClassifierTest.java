package org.layerfuse.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.SpamClassifierFixture;
import org.layerfuse.prune.cli.LayerFuseCli;
import org.layerfuse.prune.data.Example;
import org.layerfuse.prune.data.LabeledDataset;
import org.layerfuse.weights.export.ExportFormat;
import org.layerfuse.weights.export.ModelExport;

/**
 * {@link TextClassifier} on a real exported classifier (pruned MiniLM fine-tuned on SpamAssassin,
 * loaded from its ONNX-only folder): the accuracy {@code layerfuse eval} reports on the same
 * messages, the same answers from many threads at once as from one, and clear errors.
 */
class TextClassifierTest {

    private static final Pattern ACCURACY = Pattern.compile("accuracy (\\d\\.\\d{4})");

    @Test
    void accuracyEqualsWhatLayerfuseEvalReports() {
        SpamClassifierFixture f = SpamClassifierFixture.get();
        String evalOutput = captureStdout(() -> assertEquals(0,
                LayerFuseCli.commandLine().execute(f.evalArgs().toArray(String[]::new))));
        Matcher m = ACCURACY.matcher(evalOutput);
        assertTrue(m.find(), "eval printed an accuracy: " + evalOutput);

        LabeledDataset test = f.testSplit();
        try (TextClassifier classifier = TextClassifier.load(f.folder,
                InferenceOptions.defaults().withMaxLength(SpamClassifierFixture.MAX_LENGTH))) {
            assertEquals(f.data.labelNames(), classifier.labels());
            List<TextClassifier.Prediction> p = classifier.classify(test.examples().stream().map(Example::text).toList());
            int correct = 0;
            for (int i = 0; i < p.size(); i++) {
                correct += p.get(i).labelIndex() == test.examples().get(i).label() ? 1 : 0;
                assertEquals(1.0, Arrays.stream(p.get(i).probabilities()).sum(), 1e-9);
                assertEquals(p.get(i).label(), classifier.labels().get(p.get(i).labelIndex()));
            }
            double accuracy = correct / (double) p.size();
            System.out.printf("TextClassifier accuracy %.4f; layerfuse eval: %s%n", accuracy, m.group(0));
            assertEquals(m.group(1), String.format(java.util.Locale.ROOT, "%.4f", accuracy));
            assertTrue(p.stream().map(TextClassifier.Prediction::label).distinct().count() == 2,
                    "both classes are predicted: the comparison is not against a constant");
        }
    }

    @Test
    void onnxRuntimeEngineGivesTheFusedAnswers() {
        SpamClassifierFixture f = SpamClassifierFixture.get();
        List<String> texts = f.testSplit().examples().stream().map(Example::text).toList();
        InferenceOptions options = InferenceOptions.defaults().withMaxLength(SpamClassifierFixture.MAX_LENGTH);
        List<TextClassifier.Prediction> fused;
        try (TextClassifier classifier = TextClassifier.load(f.folder, options)) {
            fused = classifier.classify(texts);
        }
        try (TextClassifier classifier = TextClassifier.load(f.folder,
                options.withEngine(InferenceOptions.Engine.ONNX_RUNTIME))) {
            assertEquals(f.data.labelNames(), classifier.labels());
            List<TextClassifier.Prediction> ort = classifier.classify(texts);
            double worst = 0;
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(fused.get(i).label(), ort.get(i).label(), "text " + i);
                for (int c = 0; c < fused.get(i).probabilities().length; c++) {
                    worst = Math.max(worst, Math.abs(fused.get(i).probabilities()[c] - ort.get(i).probabilities()[c]));
                }
            }
            System.out.printf("TextClassifier, ONNX Runtime engine against the fused one: max |p diff| %.2e "
                    + "over %d texts%n", worst, texts.size());
            assertTrue(worst <= 1e-5, "max probability difference " + worst);
        }
        assertThrows(IllegalArgumentException.class, () -> options.withEngine(null));
    }

    @Test
    void manyThreadsAtOnceGetTheAnswersOfOne() throws Exception {
        SpamClassifierFixture f = SpamClassifierFixture.get();
        List<String> texts = f.testSplit().examples().stream().map(Example::text).toList();
        try (TextClassifier classifier = TextClassifier.load(f.folder,
                InferenceOptions.defaults().withMaxLength(64).withBatchSize(8).withParallelism(3))) {
            List<TextClassifier.Prediction> alone = classifier.classify(texts);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<List<TextClassifier.Prediction>>> runs = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    int shift = t;
                    // each thread sends the texts in another order: batches differ, answers must not
                    runs.add(pool.submit(() -> {
                        List<String> rotated = new ArrayList<>(texts);
                        java.util.Collections.rotate(rotated, shift * 7);
                        List<TextClassifier.Prediction> got = classifier.classify(rotated);
                        List<TextClassifier.Prediction> back = new ArrayList<>(got);
                        java.util.Collections.rotate(back, -shift * 7);
                        return back;
                    }));
                }
                for (Future<List<TextClassifier.Prediction>> run : runs) {
                    List<TextClassifier.Prediction> got = run.get();
                    for (int i = 0; i < texts.size(); i++) {
                        assertEquals(alone.get(i).label(), got.get(i).label(), "text " + i);
                        assertArrayEquals(alone.get(i).probabilities(), got.get(i).probabilities(), 1e-6, "text " + i);
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void badInputsAreRefusedWithClearErrors(@TempDir Path dir) {
        SpamClassifierFixture f = SpamClassifierFixture.get();
        try (TextClassifier classifier = TextClassifier.load(f.folder)) {
            assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.classify(List.of())),
                    "must not be empty");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier.classify(null)),
                    "must not be null");
            assertMessage(assertThrows(IllegalArgumentException.class,
                    () -> classifier.classify(Arrays.asList("fine", null, "fine"))), "text 1 is null");
            assertMessage(assertThrows(IllegalArgumentException.class,
                    () -> classifier.classifyPairs(List.of("a"), List.of("b", "c"))), "pairs need one of each");
            assertEquals(f.minilm.weights().config().maxPositionEmbeddings(), classifier.maxLength());
            // longer than the position table: truncated, not an error
            String longText = "spam ".repeat(2000);
            assertEquals(1, classifier.classify(List.of(longText)).size());
        }
        Path encoderOnly = dir.resolve("encoder");
        ModelExport.write(f.minilm.weights(), f.minilm.tokenizerFile(), encoderOnly, ExportFormat.HF, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextClassifier.load(encoderOnly));
        assertMessage(e, "no classification head");
        assertMessage(e, encoderOnly.toString());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> TextClassifier.load(dir.resolve("none"))),
                "not a directory");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> TextClassifier.load(f.folder,
                InferenceOptions.defaults().withMaxLength(100_000))), "max_position_embeddings");
    }

    static void assertMessage(Exception e, String part) {
        assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should contain '" + part + "'");
    }

    static String captureStdout(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        String s = bytes.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }
}
