package org.layerfuse.prune.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.layerfuse.bert.BertModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Healed model states of a study, kept on disk in a scratch folder rather than in memory: a
 * state is every parameter's raw buffer (its own data type, C order, the machine's byte order)
 * in one file, restored bit for bit. A MiniLM state is 0.09 GB, BERT-base 0.44 GB; in memory a
 * handful of them were the largest thing a study kept besides the models themselves, on disk
 * the study's resident memory does not depend on how many it keeps. Least recently used states
 * go first once the folder would pass its byte budget. A state that cannot be written (a full
 * disk) is not kept, with a warning: the cache only saves work.
 *
 * <p>The folder is the process's own scratch space: emptied when opened and deleted by
 * {@link #close()}. Files are written under a temporary name and moved into place, so a state
 * is either whole or absent.
 */
public final class HealedStates implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HealedStates.class);

    private final Path folder;
    private final long maxBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private int written;

    /** One state on disk: its file, the parameters in file order with their shapes, the healer's summary. */
    private record Entry(Path file, List<Layout> layout, String summary, long bytes) {
    }

    private record Layout(String name, DataType dataType, long[] shape) {
        long bytes() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact) * dataType.width();
        }
    }

    /**
     * @param folder   scratch folder (created; anything in it is deleted)
     * @param maxBytes the most bytes of states kept there; 0 keeps none
     */
    public HealedStates(Path folder, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("HealedStates: byte budget must be >= 0; got " + maxBytes);
        }
        this.folder = folder;
        this.maxBytes = maxBytes;
        deleteFolder();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the step cache's folder " + folder, e);
        }
    }

    /** The healer's summary of {@code key} after writing its state into {@code model}, or null if not kept. */
    synchronized String restore(String key, BertModel model) {
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        try (FileChannel in = FileChannel.open(e.file(), StandardOpenOption.READ)) {
            for (Layout l : e.layout()) {
                INDArray target = model.parameter(l.name());
                if (target.dataType() != l.dataType() || !Arrays.equals(target.shape(), l.shape())) {
                    throw new IllegalStateException("step cache " + e.file() + ": parameter " + l.name() + " is "
                            + l.dataType() + Arrays.toString(l.shape()) + " there but " + target.dataType()
                            + Arrays.toString(target.shape()) + " in the model");
                }
                // straight into the parameter's buffer when it is plain C order, else through a copy
                INDArray staged = isPlain(target) ? target : Nd4j.createUninitialized(l.dataType(), l.shape(), 'c');
                ByteBuffer buffer = bytesOf(staged);
                while (buffer.hasRemaining()) {
                    if (in.read(buffer) < 0) {
                        throw new IllegalStateException("step cache " + e.file() + " ends inside " + l.name());
                    }
                }
                if (staged != target) {
                    target.assign(staged);
                    staged.close();
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read the step cache's state " + e.file(), ex);
        }
        return e.summary();
    }

    /**
     * Keeps {@code parameters} (a model's {@link BertModel#parameters()}) as the state of
     * {@code key} (if they fit the budget).
     */
    synchronized void put(String key, Map<String, INDArray> parameters, String summary) {
        List<Layout> layout = new ArrayList<>();
        long size = 0;
        for (Map.Entry<String, INDArray> p : parameters.entrySet()) {
            Layout l = new Layout(p.getKey(), p.getValue().dataType(), p.getValue().shape());
            layout.add(l);
            size += l.bytes();
        }
        if (size > maxBytes || entries.containsKey(key)) {
            return;
        }
        Path file = folder.resolve("state-" + (written++) + ".bin");
        Path part = folder.resolve(file.getFileName() + ".part");
        try {
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (Map.Entry<String, INDArray> p : parameters.entrySet()) {
                    INDArray c = contiguous(p.getValue());
                    ByteBuffer buffer = bytesOf(c);
                    while (buffer.hasRemaining()) {
                        out.write(buffer);
                    }
                    if (c != p.getValue()) {
                        c.close();
                    }
                }
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("step cache: could not write a healed state to {} ({}); it will be recomputed if needed",
                    folder, e.getMessage());
            deleteQuietly(part);
            return;
        }
        entries.put(key, new Entry(file, List.copyOf(layout), summary, size));
        bytes += size;
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); bytes > maxBytes && it.hasNext(); ) {
            Entry evicted = it.next().getValue();
            it.remove();
            bytes -= evicted.bytes();
            deleteQuietly(evicted.file());
        }
    }

    /** Number of states kept now. */
    synchronized int size() {
        return entries.size();
    }

    /** Deletes the folder and everything in it. */
    @Override
    public synchronized void close() {
        entries.clear();
        bytes = 0;
        deleteFolder();
    }

    private static INDArray contiguous(INDArray a) {
        return isPlain(a) ? a : a.dup('c');
    }

    /** Whether the array's elements are its whole buffer, in C order from offset 0. */
    private static boolean isPlain(INDArray a) {
        return !a.isView() && a.ordering() == 'c' && a.offset() == 0 && a.data().length() == a.length();
    }

    /** The array's elements as bytes (a view of its native buffer); {@code a} is {@linkplain #isPlain plain}. */
    private static ByteBuffer bytesOf(INDArray a) {
        long n = a.length() * a.dataType().width();
        ByteBuffer whole = a.data().asNio();
        if (whole == null || whole.capacity() < n) {
            throw new IllegalStateException("step cache: no native buffer of " + n + " bytes for an array of shape "
                    + Arrays.toString(a.shape()));
        }
        return whole.duplicate().position(0).limit(Math.toIntExact(n));
    }

    private void deleteFolder() {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.sorted(Comparator.reverseOrder()).forEach(HealedStates::deleteQuietly);
        } catch (IOException e) {
            LOG.warn("step cache: could not empty {} ({})", folder, e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("step cache: could not delete {} ({})", p, e.getMessage());
        }
    }
}
