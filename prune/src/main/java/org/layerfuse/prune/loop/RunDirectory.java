package org.layerfuse.prune.loop;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.train.TensorFile;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    /** Step records are read strictly: a record missing a field (cut short, or hand-edited) is not trusted. */
    private static final ObjectMapper STRICT_JSON = JSON.copy()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);

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
            RunSpec existing = null;
            if (Files.exists(specFile)) {
                try {
                    existing = STRICT_JSON.readValue(specFile.toFile(), RunSpec.class);
                } catch (IOException e) {
                    // Without its spec nothing recorded here can be matched to this run: start it again.
                    LOG.warn("{}: unreadable run spec ({}); the run's steps are recomputed", specFile,
                            firstLine(e.getMessage()));
                    setAsideFrom(0);
                    Files.move(specFile, specFile.resolveSibling("run.json.corrupt"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (existing != null) {
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
            throw new UncheckedIOException("cannot use run directory " + dir + ": " + IoErrors.describe(e), e);
        }
    }

    /**
     * Finished steps in order, up to the first record that is missing or not a complete, valid
     * record (one that does not parse, lacks a field or names another step): that step and the
     * ones after it count as not finished.
     */
    public List<StepRecord> steps() {
        List<StepRecord> out = new ArrayList<>();
        for (int k = 0; ; k++) {
            Path f = stepFile(k);
            if (!Files.exists(f)) {
                return out;
            }
            try {
                out.add(readStep(f, k));
            } catch (IllegalArgumentException e) {
                LOG.warn("{}; steps from {} on count as not finished", e.getMessage(), k);
                return out;
            }
        }
    }

    /**
     * Reads one step record, checking it is whole.
     *
     * @throws IllegalArgumentException naming the file and what is wrong
     */
    public static StepRecord readStep(Path f, int expectedStep) {
        StepRecord r;
        try {
            r = STRICT_JSON.readValue(f.toFile(), StepRecord.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": not a complete step record (" + firstLine(e.getMessage()) + ")", e);
        }
        if (r == null) {
            throw new IllegalArgumentException(f + ": not a complete step record (empty)");
        }
        if (r.step() != expectedStep) {
            throw new IllegalArgumentException(f + ": field 'step' is " + r.step() + ", expected " + expectedStep);
        }
        if (r.liveLayers() == null || r.deltaRows() == null || r.heal() == null
                || (expectedStep > 0 && r.removedLayer() == null)) {
            throw new IllegalArgumentException(f + ": not a complete step record (liveLayers, deltaRows, heal or "
                    + "removedLayer is null)");
        }
        for (int i = 0; i < r.deltaRows().size(); i++) {
            if (r.deltaRows().get(i) == null || r.deltaRows().get(i).signals() == null) {
                throw new IllegalArgumentException(f + ": field 'deltaRows[" + i + "]' is incomplete");
            }
        }
        return r;
    }

    /**
     * The finished steps a resumed run can continue from: {@link #steps()}, less any step whose
     * model it would have to load when that model file is missing or fails its checksum. Older
     * model files are deleted as a run goes, so such a run restarts after step 0 (logged); the
     * step and model files that are not trusted are renamed {@code *.corrupt}, and records after
     * the first bad one are set aside the same way, so they are recomputed, never mixed in.
     *
     * @param target the number of layers the run removes; a run that reached it loads no model
     */
    public List<StepRecord> resumableSteps(int target) {
        List<StepRecord> steps = steps();
        setAsideFrom(steps.size());
        if (steps.size() <= 1 || steps.size() > target) {
            return steps;
        }
        int last = steps.get(steps.size() - 1).step();
        Path model = modelFile(last);
        String problem = null;
        if (!Files.exists(model)) {
            problem = model.getFileName() + " is missing";
        } else {
            try {
                TensorFile.verify(model);
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
        }
        if (problem == null) {
            return steps;
        }
        LOG.warn("{}: {}; the model after step {} cannot be trusted, so steps 1..{} are recomputed from the "
                + "unpruned model", dir, problem, last, last);
        setAsideFrom(1);
        return steps.subList(0, 1);
    }

    /** Renames the step and model files of steps {@code >= first} to {@code *.corrupt}. */
    private void setAsideFrom(int first) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                Integer k = n.startsWith("step-") && n.endsWith(".json") ? stepNumber(n, "step-".length(), 5)
                        : n.startsWith("model-step-") && n.endsWith(".bin") ? stepNumber(n, "model-step-".length(), 4)
                        : null;
                if (k != null && k >= first) {
                    Files.move(p, p.resolveSibling(n + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
                    LOG.warn("set aside {} as {}.corrupt: it is recomputed", p, n);
                }
            }
        } catch (NoSuchFileException e) {
            // nothing there yet
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set aside untrusted files in " + dir + ": " + IoErrors.describe(e), e);
        }
    }

    private static Integer stepNumber(String name, int from, int suffix) {
        String digits = name.substring(from, name.length() - suffix);
        return digits.matches("[0-9]{1,9}") ? Integer.valueOf(digits) : null;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Saves the model state of step {@code k} (when {@code saveModel}), then its record, then
     * deletes older model files, all written behind the caller by {@code writes}: the model's
     * arrays and live set are taken now, and the caller keeps the parameters unchanged until
     * {@link WriteBehind#await}.
     */
    void finishStep(StepRecord record, BertModel model, boolean saveModel, WriteBehind writes) {
        Map<String, INDArray> arrays = saveModel ? new LinkedHashMap<>(model.allParameters()) : null;
        String header = saveModel ? liveHeader(model.liveMask()) : null;
        writes.submit(() -> writeStep(record, arrays, header));
    }

    private void writeStep(StepRecord record, Map<String, INDArray> arrays, String liveHeader) {
        Path modelFile = modelFile(record.step());
        if (arrays != null) {
            TensorFile.write(modelFile, liveHeader, arrays);
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
            throw new UncheckedIOException("cannot write step " + record.step() + " in " + dir + ": "
                    + IoErrors.describe(e), e);
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

    /**
     * Writes to a temporary file, flushes it to disk, then moves it over {@code file}: a crash or
     * a full disk leaves the old contents (or none), never a half-written file under the name.
     */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write error is what matters
            }
            throw e;
        }
    }

    /** Writes a text file atomically. */
    public static void writeText(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + IoErrors.describe(e), e);
        }
    }
}
