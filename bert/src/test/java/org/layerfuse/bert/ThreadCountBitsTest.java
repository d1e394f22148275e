package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.bert.train.AdamW;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.fused.ParallelRows;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Training gives the same bits whatever the number of row-kernel threads: the row passes that
 * sum (layer norm and bias gradients) sum fixed blocks of rows and add them in row order, and
 * everything else they do is per row. A second JVM runs the same training with another
 * {@code layerfuse.fused.threads} (read once, when the thread pool is made) and prints a hash
 * of every gradient and parameter float; this JVM computes it with its own thread count.
 */
class ThreadCountBitsTest {

    /** 16 × 128 = 2 048 tokens of width 64: several blocks of rows per pass, split over threads. */
    static String trainAndHash() {
        Backend.init();
        BertConfig c = new BertConfig(200, 64, 2, 4, 256, Activation.GELU_ERF, 128, 2, 1e-12, -10000.0,
                List.of("a", "b"));
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(c, 5, true), DataType.FLOAT);
        SplittableRandom r = new SplittableRandom(11);
        int rows = 16;
        int seq = 128;
        int[][] ids = new int[rows][seq];
        int[][] types = new int[rows][seq];
        int[][] mask = new int[rows][seq];
        int[] labels = new int[rows];
        for (int b = 0; b < rows; b++) {
            int length = seq - r.nextInt(40); // some padding
            for (int t = 0; t < length; t++) {
                ids[b][t] = r.nextInt(1, 200);
                types[b][t] = t < length / 2 ? 0 : 1;
                mask[b][t] = 1;
            }
            labels[b] = b % 2;
        }
        TokenBatch batch = new TokenBatch(ids, types, mask);
        AdamW adam = new AdamW(AdamW.Hyper.defaults(), n -> !ParamNames.isBiasOrNorm(n));
        for (int step = 0; step < 2; step++) {
            Gradients g = model.gradients(batch, labels);
            adam.step(model.parameters(), g.byParameter(), 1e-3);
            model.recycle(g);
        }
        Gradients g = model.gradients(batch, labels);
        long hash = Double.doubleToRawLongBits(g.loss());
        for (Map<String, INDArray> arrays : List.of(g.byParameter(), model.parameters())) {
            for (INDArray a : new TreeMap<>(arrays).values()) {
                for (float f : NativeFloats.toArray(a)) {
                    hash = hash * 31 + Float.floatToRawIntBits(f);
                }
            }
        }
        return ParallelRows.threads() + " " + Long.toHexString(hash);
    }

    @Test
    void twoStepsAndAGradientCallGiveTheSameBitsOnOneRowThreadAsOnTwo() throws Exception {
        String here = trainAndHash();
        int threadsHere = ParallelRows.threads();
        int threadsThere = threadsHere == 1 ? 2 : 1;
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xss4m", "-Dlayerfuse.fused.threads=" + threadsThere, "-cp",
                System.getProperty("java.class.path"), ThreadCountBitsMain.class.getName()));
        Process other = new ProcessBuilder(command).redirectErrorStream(true).start();
        String there = null;
        StringBuilder log = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("bits ")) {
                    there = line.substring(5);
                } else {
                    log.append(line).append('\n');
                }
            }
            assertTrue(other.waitFor(5, TimeUnit.MINUTES), "the second JVM finished");
            assertEquals(0, other.exitValue(), "the second JVM failed:\n" + log);
        } finally {
            other.destroyForcibly();
        }
        assertTrue(there != null, "the second JVM printed its bits:\n" + log);
        assertEquals(threadsThere + " ", there.substring(0, there.indexOf(' ') + 1), "the second JVM's thread count");
        assertEquals(here.substring(here.indexOf(' ')), there.substring(there.indexOf(' ')),
                "the hash of every gradient and parameter float on " + threadsHere + " and " + threadsThere + " threads");
    }
}
