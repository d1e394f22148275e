package org.layerfuse.weights.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MavenArtifactResolverTest {

    private static final MavenArtifact TEST_JAR = MavenArtifact.parse("org.example.models:tiny-model:1.2.3");

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    @Test
    void resolvesMiniLmFromTheLocalRepositoryWithoutNetwork() {
        Path localRepo = MavenArtifactResolver.fromSystemProperties().localRepository();
        MavenArtifactResolver offline = new MavenArtifactResolver(localRepo,
                tmp.resolve("no-such-remote").toUri(), new PrintStream(progress));
        Path jar = offline.resolve(MiniLmArtifact.ARTIFACT);
        assertEquals(localRepo.resolve(MiniLmArtifact.ARTIFACT.repositoryPath()), jar);
        assertTrue(Files.isRegularFile(jar));
        assertEquals("", progress.toString(StandardCharsets.UTF_8), "nothing downloaded");
    }

    @Test
    void downloadsVerifiesAndReusesTheJar() throws Exception {
        byte[] jar = randomBytes(3 << 20);
        Path remote = remoteWith(jar, sha1(jar));
        Path localRepo = tmp.resolve("local");
        MavenArtifactResolver resolver = new MavenArtifactResolver(localRepo, remote.toUri(),
                new PrintStream(progress));
        Path got = resolver.resolve(TEST_JAR);
        assertEquals(localRepo.resolve("org/example/models/tiny-model/1.2.3/tiny-model-1.2.3.jar"), got);
        assertArrayEquals(jar, Files.readAllBytes(got));
        String log = progress.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("Downloading org.example.models:tiny-model:1.2.3"), log);
        assertTrue(log.contains("(100%)"), log);
        assertEquals(List.of(got), filesUnder(localRepo));

        deleteTree(remote);
        assertEquals(got, resolver.resolve(TEST_JAR), "the local copy is used once it is there");
    }

    /** The SHA-1 check, configured through the system properties as a user would. */
    @Test
    void sha1MismatchIsDetectedAndLeavesNothingBehind() throws Exception {
        byte[] jar = randomBytes(5000);
        Path remote = remoteWith(jar, "0123456789abcdef0123456789abcdef01234567");
        Path localRepo = tmp.resolve("local");
        String oldLocal = System.getProperty(MavenArtifactResolver.LOCAL_REPO_PROPERTY);
        String oldRemote = System.getProperty(MavenArtifactResolver.REMOTE_REPO_PROPERTY);
        try {
            System.setProperty(MavenArtifactResolver.LOCAL_REPO_PROPERTY, localRepo.toString());
            System.setProperty(MavenArtifactResolver.REMOTE_REPO_PROPERTY, remote.toUri().toString());
            MavenArtifactResolver resolver = MavenArtifactResolver.fromSystemProperties();
            assertEquals(localRepo, resolver.localRepository());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> resolver.resolve(TEST_JAR));
            assertTrue(e.getMessage().startsWith("org.example.models:tiny-model:1.2.3: the SHA-1 of "), e.getMessage());
            assertTrue(e.getMessage().contains(" is " + sha1(jar) + " but "), e.getMessage());
            assertTrue(e.getMessage().contains("says 0123456789abcdef0123456789abcdef01234567"), e.getMessage());
            assertEquals(List.of(), filesUnder(localRepo), "no jar and no partial file");
        } finally {
            restore(MavenArtifactResolver.LOCAL_REPO_PROPERTY, oldLocal);
            restore(MavenArtifactResolver.REMOTE_REPO_PROPERTY, oldRemote);
        }
    }

    @Test
    void missingOrUncheckableArtifactsAreClearErrors() throws Exception {
        Path localRepo = tmp.resolve("local");
        Path emptyRemote = Files.createDirectories(tmp.resolve("empty-remote"));
        MavenArtifactResolver resolver = new MavenArtifactResolver(localRepo, emptyRemote.toUri(),
                new PrintStream(progress));
        UncheckedIOException missing = assertThrows(UncheckedIOException.class, () -> resolver.resolve(TEST_JAR));
        assertTrue(missing.getMessage().contains("org.example.models:tiny-model:1.2.3 is neither in the local"
                + " repository " + localRepo), missing.getMessage());

        byte[] jar = randomBytes(100);
        Path noSha = remoteWith(jar, null);
        UncheckedIOException unchecked = assertThrows(UncheckedIOException.class,
                () -> new MavenArtifactResolver(localRepo, noSha.toUri(), new PrintStream(progress)).resolve(TEST_JAR));
        assertTrue(unchecked.getMessage().contains("(no checksum "), unchecked.getMessage());

        Path badSha = remoteWith(jar, "<html>not found</html>");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new MavenArtifactResolver(localRepo, badSha.toUri(), new PrintStream(progress))
                        .resolve(TEST_JAR));
        assertTrue(e.getMessage().contains("does not hold a SHA-1 (40 hex digits), it starts with '<html>"),
                e.getMessage());
        assertEquals(List.of(), filesUnder(localRepo));
    }

    private Path remoteWith(byte[] jar, String sha1) throws IOException {
        Path remote = Files.createTempDirectory(tmp, "remote");
        Path file = remote.resolve(TEST_JAR.repositoryPath());
        Files.createDirectories(file.getParent());
        Files.write(file, jar);
        if (sha1 != null) {
            Files.writeString(file.resolveSibling(file.getFileName() + ".sha1"), sha1 + "  " + file.getFileName());
        }
        return remote;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(n);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static String sha1(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertFalse(Files.exists(dir));
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
