package org.layerfuse.prune.loop;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.TensorFile;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The files of one pruning run, each written atomically (temporary file, then move):
 * <pre>
 *   run.json             the RunSpec
 *   step-000.json ...    one StepRecord per finished step
 *   model-step-NNN.bin   the model after the last finished step (older ones are deleted)
 * </pre>
 * A step counts as finished when its record exists. The model after step k (k &ge; 1) is
 * written before the record, so a kill at any moment leaves a resumable directory; step 0
 * needs no file (a run starts from the model it is given) and the last step's model is
 * written only when asked for (a finished run is not resumed).
 */
public final class RunDirectory {

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    /**
     * Starts a run in this directory: writes the spec, or with {@code resume} checks it
     * matches the one there. Without {@code resume} a directory that already holds steps is
     * refused, so existing results are never overwritten.
     */
    public void open(RunSpec spec, boolean resume) {
        Path specFile = dir.resolve("run.json");
        try {
            Files.createDirectories(dir);
            if (Files.exists(specFile)) {
                RunSpec existing = JSON.readValue(specFile.toFile(), RunSpec.class);
                if (!existing.equals(spec)) {
                    throw new IllegalArgumentException(dir + " holds a run with other settings (" + existing
                            + "); this run is " + spec + ". Use another --out directory.");
                }
                if (!resume && !steps().isEmpty()) {
                    throw new IllegalArgumentException(dir + " already holds " + steps().size()
                            + " finished steps; pass --resume to continue it or choose another --out directory");
                }
            } else {
                writeAtomically(specFile, JSON.writeValueAsBytes(spec));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Finished steps in order (a record whose model file is missing is not finished, except the last kept). */
    public List<StepRecord> steps() {
        List<StepRecord> out = new ArrayList<>();
        for (int k = 0; ; k++) {
            Path f = stepFile(k);
            if (!Files.exists(f)) {
                return out;
            }
            try {
                out.add(JSON.readValue(f.toFile(), StepRecord.class));
            } catch (IOException e) {
                throw new UncheckedIOException(f + ": unreadable step record: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Saves the model state of step {@code k} (when {@code saveModel}), then its record, then
     * deletes older model files.
     */
    public void finishStep(StepRecord record, BertModel model, boolean saveModel) {
        Path modelFile = modelFile(record.step());
        if (saveModel) {
            Map<String, INDArray> arrays = model.allParameters();
            TensorFile.write(modelFile, liveHeader(model.liveMask()), arrays);
        }
        try {
            writeAtomically(stepFile(record.step()), JSON.writeValueAsBytes(record));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith("model-step-") && n.endsWith(".bin") && !p.equals(modelFile)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write step " + record.step() + " in " + dir, e);
        }
    }

    /** Restores the model saved with step {@code k}. */
    public void loadModel(int k, BertModel model) {
        Path f = modelFile(k);
        if (!Files.exists(f)) {
            throw new IllegalStateException(dir + ": step " + k + " is recorded but its model file " + f.getFileName()
                    + " is missing; delete " + stepFile(k).getFileName() + " to resume from the step before");
        }
        TensorFile.Contents c = TensorFile.read(f);
        model.loadState(c.arrays(), parseLive(c.header()));
    }

    private static String liveHeader(boolean[] live) {
        StringBuilder sb = new StringBuilder();
        for (boolean b : live) {
            sb.append(b ? '1' : '0');
        }
        return sb.toString();
    }

    private static boolean[] parseLive(String header) {
        boolean[] live = new boolean[header.length()];
        for (int i = 0; i < live.length; i++) {
            live[i] = header.charAt(i) == '1';
        }
        return live;
    }

    Path stepFile(int k) {
        return dir.resolve(String.format("step-%03d.json", k));
    }

    Path modelFile(int k) {
        return dir.resolve(String.format("model-step-%03d.bin", k));
    }

    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes a text file atomically. */
    public static void writeText(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
