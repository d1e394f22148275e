package org.layerfuse.prune.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.layerfuse.prune.study.StudyResults;

/**
 * Replaces a report folder as a whole: the new report is built in a hidden temporary sibling
 * folder, then swapped in by renames, so readers see the old report or the new one, never a
 * mix, and files of an earlier report never linger. An existing folder is replaced only if it
 * is empty or an earlier report (its summary.json names this generator).
 */
final class ReportFolder {

    private ReportFolder() {
    }

    static void replace(Path out, Consumer<Path> build) {
        Path target = out.toAbsolutePath().normalize();
        Path parent = target.getParent();
        String name = target.getFileName().toString();
        try {
            Files.createDirectories(parent);
            if (Files.exists(target)) {
                if (!Files.isDirectory(target)) {
                    throw new IllegalArgumentException("report output " + out + " exists and is not a directory");
                }
                if (!isEmpty(target) && !isReport(target)) {
                    throw new IllegalArgumentException("report output " + out + " exists and is not a LayerFuse "
                            + "report folder (no summary.json from '" + StudyReport.GENERATOR + "'); refusing to "
                            + "replace it: choose another --out directory");
                }
            }
            Path tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
            try {
                build.accept(tmp);
            } catch (RuntimeException | Error e) {
                deleteTree(tmp);
                throw e;
            }
            if (Files.exists(target)) {
                Path old = Files.createTempDirectory(parent, "." + name + ".old-");
                Files.delete(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + out + ": " + e.getMessage(), e);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static boolean isReport(Path dir) {
        Path summary = dir.resolve("summary.json");
        if (!Files.isRegularFile(summary)) {
            return false;
        }
        try {
            JsonNode n = StudyResults.JSON.readTree(summary.toFile());
            return StudyReport.GENERATOR.equals(n.path("generator").asText());
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
