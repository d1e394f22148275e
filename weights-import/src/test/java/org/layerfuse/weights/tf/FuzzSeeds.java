package org.layerfuse.weights.tf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.layerfuse.weights.FuzzSeedWriter;

/** Seeds of {@link TensorBundleFuzzTest}: bundles from the test's independent writer. */
public final class FuzzSeeds {

    private FuzzSeeds() {
    }

    public static void write(Path dir) throws Exception {
        Path tmp = Files.createTempDirectory("bundle-seeds");
        List<TinyBundle.Var> vars = List.of(
                TinyBundle.Var.floats("model/a/kernel", new float[] {1, 2, 3, 4, 5, 6}, 2, 3),
                TinyBundle.Var.floats("model/a/bias", new float[] {0.5f, -0.5f, 0}, 3),
                TinyBundle.Var.floats("model/b/ünïcode", new float[] {7}, 1),
                TinyBundle.Var.floats("scalar", new float[] {3.5f}),
                TinyBundle.Var.ints("model/step", new int[] {42, -1}, 2));
        int n = 0;
        for (TinyBundle.Options o : List.of(TinyBundle.Options.defaults(), new TinyBundle.Options(1, 40, 0, 1),
                new TinyBundle.Options(16, 4096, 0, 1))) {
            Path prefix = tmp.resolve("v" + n);
            TinyBundle.write(prefix, vars, o);
            byte[] index = Files.readAllBytes(Path.of(prefix + ".index"));
            byte[] data = Files.readAllBytes(Path.of(prefix + ".data-00000-of-00001"));
            FuzzSeedWriter.write(dir.resolve("levelDbTable"), "index-" + n, index);
            FuzzSeedWriter.write(dir.resolve("tensorBundle"), "bundle-" + n, FuzzSeedWriter.concat(index, data));
            n++;
        }
    }
}
