package org.layerfuse.bench.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * Times TF Java 1.1.0 running Google's BERT-base SavedModel on a batch, in its own JVM (TF
 * Java's javacpp cannot share a JVM with ND4J's): the weights-import test runner
 * ({@code weights-import/src/test/tf-runner/TfBertRunner.java}) with the class path Maven copies
 * to {@code weights-import/target/tf-reference} (run {@code mvn -pl weights-import
 * test-compile} once).
 */
final class TfJavaTiming {

    /** Minimum and median of the timed forward passes, in ms. */
    record Timing(double minMs, double medianMs) {
    }

    private TfJavaTiming() {
    }

    static Timing run(Path repo, Path savedModel, TokenBatch batch, int threads, int repeats)
            throws IOException, InterruptedException {
        Path classPath = repo.resolve("weights-import/target/tf-reference");
        Path runner = repo.resolve("weights-import/src/test/tf-runner/TfBertRunner.java");
        if (!Files.isDirectory(classPath) || !Files.isRegularFile(runner)) {
            throw new IOException(classPath + " or " + runner + " is missing: run `mvn -q -pl weights-import -am "
                    + "test-compile` from the repository root first");
        }
        Path dir = Files.createTempDirectory("tf-timing");
        Path in = dir.resolve("in.bin");
        Path out = dir.resolve("out.bin");
        int b = batch.batchSize();
        int s = batch.seqLen();
        ByteBuffer buf = ByteBuffer.allocate(12 + 12 * b * s).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(0x4954464c).putInt(b).putInt(s);
        for (int[][] array : List.of(batch.inputIds(), batch.attentionMask(), batch.tokenTypeIds())) {
            for (int[] row : array) {
                for (int v : row) {
                    buf.putInt(v);
                }
            }
        }
        Files.write(in, buf.array());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", classPath + "/*", runner.toString(), savedModel.toString(), in.toString(),
                out.toString(), Integer.toString(threads), Integer.toString(repeats)));
        Path log = dir.resolve("log.txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("TF Java runner failed: " + Files.readString(log));
        }
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("TIMING_MS ")) {
                String[] f = line.split(" ");
                return new Timing(Double.parseDouble(f[1]), Double.parseDouble(f[2]));
            }
        }
        throw new IOException("TF Java runner printed no timing: " + Files.readString(log));
    }
}
