package org.layerfuse.prune.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executors starting at once on one host fill the cache once: of several fetches of the same
 * file started together, one downloads it and the others wait and reuse it.
 */
class ConcurrentCacheFillTest {

    @Test
    void fetchesStartedTogetherDownloadOnce(@TempDir Path temp) throws Exception {
        byte[] content = new byte[2_000_000];
        new Random(3).nextBytes(content);
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/corpus.tgz", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, content.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(content);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        int fetchers = 4;
        ExecutorService threads = Executors.newFixedThreadPool(fetchers);
        try {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/corpus.tgz");
            RemoteFile remote = new RemoteFile("corpus.tgz", uri,
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(content)),
                    "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(content)));
            Path cache = temp.resolve("cache");
            CyclicBarrier start = new CyclicBarrier(fetchers);
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < fetchers; i++) {
                results.add(threads.submit(() -> {
                    start.await();
                    return CachedDownload.fetch(remote, cache);
                }));
            }
            for (Future<Path> r : results) {
                assertEquals(cache.resolve("corpus.tgz"), r.get());
            }
            assertEquals(1, requests.get(), "one download for " + fetchers + " fetches");
            assertArrayEquals(content, Files.readAllBytes(cache.resolve("corpus.tgz")));
            try (Stream<Path> files = Files.list(cache)) {
                assertEquals(List.of(cache.resolve("corpus.tgz")), files.toList(), "no partial file, no lock file");
            }
        } finally {
            threads.shutdownNow();
            server.stop(0);
        }
    }
}
