package org.layerfuse.prune.study;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.layerfuse.prune.loop.RunDirectory;
import org.layerfuse.prune.loop.StepRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A study's results directory as it is on disk, finished or not:
 * <pre>
 *   study.json                                    the StudySpec
 *   &lt;dataset&gt;/baseline/baseline.json              the fine-tuned unpruned model
 *   &lt;dataset&gt;/&lt;heal&gt;/&lt;strategy&gt;/rep-NN/step-*.json  one run per cell
 *   &lt;dataset&gt;/&lt;heal&gt;/&lt;strategy&gt;/rep-NN/error.txt   why the last attempt of a cell failed
 * </pre>
 * Reading never fails on a partial directory: missing baselines and cells are reported as
 * missing.
 */
public final class StudyResults {

    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ObjectMapper STRICT_JSON = JSON.copy()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Logger LOG = LoggerFactory.getLogger(StudyResults.class);

    private final Path root;
    private final StudySpec spec;
    private final Map<String, Baseline> baselines;
    private final List<CellResult> cells;

    private StudyResults(Path root, StudySpec spec, Map<String, Baseline> baselines, List<CellResult> cells) {
        this.root = root;
        this.spec = spec;
        this.baselines = baselines;
        this.cells = cells;
    }

    public static Path specFile(Path root) {
        return root.resolve("study.json");
    }

    public static Path baselineFile(Path root, String dataset) {
        return root.resolve(dataset).resolve("baseline").resolve("baseline.json");
    }

    public static Path errorFile(Path cellDir) {
        return cellDir.resolve("error.txt");
    }

    /** Reads a results directory; it must at least hold {@code study.json}. */
    public static StudyResults read(Path root) {
        Path specFile = specFile(root);
        if (!Files.exists(specFile)) {
            throw new IllegalArgumentException(root + " is not a LayerFuse study directory: " + specFile.getFileName()
                    + " is missing");
        }
        StudySpec spec;
        try {
            spec = JSON.readValue(specFile.toFile(), StudySpec.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(specFile + ": unreadable study spec: " + e.getMessage(), e);
        }
        Map<String, Baseline> baselines = new LinkedHashMap<>();
        for (String d : spec.datasets()) {
            readBaseline(root, d).ifPresent(b -> baselines.put(d, b));
        }
        List<CellResult> cells = new ArrayList<>();
        for (CellKey key : spec.cells()) {
            Path dir = key.directory(root);
            List<StepRecord> steps = Files.isDirectory(dir) ? new RunDirectory(dir).steps() : List.of();
            String error = null;
            Path err = errorFile(dir);
            if (Files.exists(err)) {
                try {
                    error = Files.readString(err);
                } catch (IOException e) {
                    error = "unreadable " + err;
                }
            }
            cells.add(new CellResult(key, steps, spec.layersToRemove(), error));
        }
        return new StudyResults(root, spec, baselines, cells);
    }

    /**
     * A dataset's baseline record; empty when there is none or it is not a whole record (then it is
     * logged, and a resumed study trains the baseline again rather than trusting it).
     */
    public static Optional<Baseline> readBaseline(Path root, String dataset) {
        Path f = baselineFile(root, dataset);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            Baseline b = STRICT_JSON.readValue(f.toFile(), Baseline.class);
            return Optional.ofNullable(b);
        } catch (IOException e) {
            LOG.warn("{}: not a complete baseline record, ignored ({})", f, String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            return Optional.empty();
        }
    }

    /** Writes a baseline record atomically. */
    public static void writeBaseline(Path root, Baseline baseline) {
        try {
            RunDirectory.writeText(baselineFile(root, baseline.dataset()), JSON.writeValueAsString(baseline));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the spec atomically. */
    public static void writeSpec(Path root, StudySpec spec) {
        try {
            RunDirectory.writeText(specFile(root), JSON.writeValueAsString(spec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path root() {
        return root;
    }

    public StudySpec spec() {
        return spec;
    }

    public Optional<Baseline> baseline(String dataset) {
        return Optional.ofNullable(baselines.get(dataset));
    }

    public List<CellResult> cells() {
        return cells;
    }

    /** Cells that have not reached their target (with or without any step). */
    public List<CellResult> incomplete() {
        return cells.stream().filter(c -> !c.complete()).toList();
    }
}
