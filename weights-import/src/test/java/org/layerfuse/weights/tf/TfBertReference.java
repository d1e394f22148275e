package org.layerfuse.weights.tf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * TensorFlow Java's forward pass of a Google BERT SavedModel, the independent reference for
 * BERT-base. TF Java brings javacpp 1.5.11 and ND4J needs 1.5.7, so TF runs in a separate JVM:
 * {@code src/test/tf-runner/TfBertRunner.java} through Java's single-file source launcher, with
 * only the jars that Maven copied to {@code target/tf-reference} on its class path. Inputs and
 * outputs go through files in a temporary directory (formats in the runner's javadoc).
 */
final class TfBertReference {

    static final Path RUNNER = moduleDir().resolve("src/test/tf-runner/TfBertRunner.java");
    static final Path CLASS_PATH = moduleDir().resolve("target/tf-reference");
    private static final long TIMEOUT_SECONDS = 600;

    /** TF's outputs: sequence_output {@code [B][S][H]} and pooled_output {@code [B][H]}. */
    record Outputs(float[][][] sequence, float[][] pooled) {
    }

    private TfBertReference() {
    }

    /** Runs the SavedModel in {@code savedModelDir} on this batch with {@code threads} intra-op threads. */
    static Outputs run(Path savedModelDir, TokenBatch batch, int threads) throws IOException, InterruptedException {
        List<String> jars;
        try (Stream<Path> s = Files.list(CLASS_PATH)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new IOException(CLASS_PATH + ": the TF Java class path is missing; Maven's"
                    + " generate-test-resources phase copies it there (maven-dependency-plugin)", e);
        }
        Path tmp = Files.createTempDirectory("tf-bert-reference");
        try {
            Path in = tmp.resolve("inputs.bin");
            Path out = tmp.resolve("outputs.bin");
            Path log = tmp.resolve("runner.log");
            Files.write(in, inputs(batch));
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx3g", "-cp", String.join(java.io.File.pathSeparator,
                    jars), RUNNER.toString(), savedModelDir.toString(), in.toString(), out.toString(),
                    String.valueOf(threads)));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("the TF reference runner did not finish in " + TIMEOUT_SECONDS
                        + " s: " + String.join(" ", cmd) + "\n" + tail(log));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("the TF reference runner exited with " + p.exitValue() + ": "
                        + String.join(" ", cmd) + "\n" + tail(log));
            }
            return outputs(out, batch);
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static byte[] inputs(TokenBatch batch) {
        int b = batch.batchSize();
        int s = batch.seqLen();
        ByteBuffer buf = ByteBuffer.allocate(12 + 3 * 4 * b * s).order(ByteOrder.LITTLE_ENDIAN);
        buf.put("LFTI".getBytes(StandardCharsets.US_ASCII)).putInt(b).putInt(s);
        for (int[][] part : new int[][][] {batch.inputIds(), batch.attentionMask(), batch.tokenTypeIds()}) {
            for (int[] row : part) {
                for (int v : row) {
                    buf.putInt(v);
                }
            }
        }
        return buf.array();
    }

    private static Outputs outputs(Path file, TokenBatch batch) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        buf.get(magic);
        int b = buf.getInt();
        int s = buf.getInt();
        int h = buf.getInt();
        if (!new String(magic, StandardCharsets.US_ASCII).equals("LFTO") || b != batch.batchSize()
                || s != batch.seqLen() || buf.remaining() != 4L * (b * s * h + b * h)) {
            throw new IOException(file + ": unexpected runner output (" + b + " x " + s + " x " + h + ", "
                    + buf.remaining() + " bytes of floats)");
        }
        float[][][] sequence = new float[b][s][h];
        float[][] pooled = new float[b][h];
        for (float[][] row : sequence) {
            for (float[] token : row) {
                buf.asFloatBuffer().get(token);
                buf.position(buf.position() + 4 * h);
            }
        }
        for (float[] row : pooled) {
            buf.asFloatBuffer().get(row);
            buf.position(buf.position() + 4 * h);
        }
        return new Outputs(sequence, pooled);
    }

    private static String tail(Path log) throws IOException {
        String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
        return text.length() <= 8000 ? text : "..." + text.substring(text.length() - 8000);
    }

    /** The weights-import module directory (surefire's working directory, or {@code basedir}). */
    private static Path moduleDir() {
        String basedir = System.getProperty("basedir");
        return basedir != null ? Path.of(basedir) : Path.of("").toAbsolutePath();
    }
}
