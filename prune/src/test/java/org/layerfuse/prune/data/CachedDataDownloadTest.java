package org.layerfuse.prune.data;

import org.layerfuse.engine.CacheDirectory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedDataDownloadTest {

    @TempDir
    Path temp;

    private static RemoteFile describe(String name, URI uri, byte[] content) throws Exception {
        String sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(content));
        String sha512 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(content));
        return new RemoteFile(name, uri, sha1, "sha512-" + sha512);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static List<Path> listing(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void fetchesOnceVerifiesAndReusesTheCachedFile() throws Exception {
        byte[] content = randomBytes(300_000);
        Path source = temp.resolve("source.bin");
        Files.write(source, content);
        Path cache = temp.resolve("cache");
        RemoteFile remote = describe("data.bin", source.toUri(), content);

        Path fetched = CachedDownload.fetch(remote, cache);
        assertEquals(cache.resolve("data.bin"), fetched);
        assertArrayEquals(content, Files.readAllBytes(fetched));
        assertEquals(List.of(fetched), listing(cache), "only the verified file, no temporary left");

        Files.delete(source); // a second fetch must not go to the source again
        assertEquals(fetched, CachedDownload.fetch(remote, cache));
    }

    @Test
    void checksumMismatchLeavesNothingInTheCache() throws Exception {
        byte[] content = randomBytes(50_000);
        Path source = temp.resolve("source.bin");
        Files.write(source, content);
        byte[] other = content.clone();
        other[123] ^= 1;
        RemoteFile remote = describe("data.bin", source.toUri(), other);
        Path cache = temp.resolve("cache");

        var e = assertThrows(IOException.class, () -> CachedDownload.fetch(remote, cache));
        assertTrue(e.getMessage().contains("checksum mismatch for data.bin") && e.getMessage().contains(remote.sha1()),
                e.getMessage());
        assertEquals(List.of(), listing(cache));
    }

    @Test
    void connectionDroppedMidwayLeavesNothingInTheCache() throws Exception {
        byte[] content = randomBytes(200_000);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/data.bin", exchange -> {
            exchange.sendResponseHeaders(200, content.length);
            OutputStream out = exchange.getResponseBody();
            out.write(content, 0, content.length / 2);
            out.flush();
            exchange.getHttpContext().getServer().stop(0); // drop the connection before the rest
        });
        server.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/data.bin");
            RemoteFile remote = describe("data.bin", uri, content);
            Path cache = temp.resolve("cache");
            var e = assertThrows(IOException.class, () -> CachedDownload.fetch(remote, cache));
            assertTrue(e.getMessage().contains("data.bin") && e.getMessage().contains("of 200000 bytes"), e.getMessage());
            assertEquals(List.of(), listing(cache));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void httpErrorIsReportedWithTheStatus() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/missing.tgz");
            RemoteFile remote = describe("missing.tgz", uri, new byte[1]);
            Path cache = temp.resolve("cache");
            var e = assertThrows(IOException.class, () -> CachedDownload.fetch(remote, cache));
            assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("missing.tgz"), e.getMessage());
            assertEquals(List.of(), listing(cache));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void remoteFileChecksTheChecksumFormats() {
        URI uri = URI.create("https://example.org/x");
        String sri = SpamAssassinCorpus.ARCHIVE.integrity();
        assertThrows(IllegalArgumentException.class, () -> new RemoteFile("x", uri, "abc", sri));
        assertThrows(IllegalArgumentException.class, () -> new RemoteFile("x", uri, SpamAssassinCorpus.ARCHIVE.sha1(), "sha1-abc"));
        assertThrows(IllegalArgumentException.class, () -> new RemoteFile("../x", uri, SpamAssassinCorpus.ARCHIVE.sha1(), sri));
    }

    @Test
    void cacheRootFollowsTheSystemProperty() {
        String before = System.getProperty("layerfuse.cache");
        try {
            System.setProperty("layerfuse.cache", temp.toString());
            assertEquals(temp.resolve("data"), CacheDirectory.data());
        } finally {
            if (before == null) {
                System.clearProperty("layerfuse.cache");
            } else {
                System.setProperty("layerfuse.cache", before);
            }
        }
    }
}
