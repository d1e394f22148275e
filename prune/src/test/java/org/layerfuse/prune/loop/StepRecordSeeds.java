package org.layerfuse.prune.loop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.layerfuse.prune.strategy.FusionRow;

/** Step records as the pruner writes them, for the seeds of {@link StepRecordFuzzTest}. */
public final class StepRecordSeeds {

    private StepRecordSeeds() {
    }

    public static void write(Path dir) throws Exception {
        Files.createDirectories(dir);
        StepRecord fusion = new StepRecord(1, 3, new int[] {0, 1, 2, 4, 5}, 0.93, 0.91, 0.21, 0.88, 19_000_000L, 76.0,
                "layer,a,b\n0,1.0,2.0\n", new double[] {0.1, 0.2, Double.NaN, 0.4, 0.5, 0.6},
                new double[] {0.5, 0.5}, List.of(new FusionRow(1, 3, new double[] {1, 2}, 0.01)), 0.9,
                "ce: 4 steps", 1.5, 0.2, 12.0, 14.0);
        Files.write(dir.resolve("fusion-step.json"), RunDirectory.JSON.writeValueAsBytes(fusion));
        StepRecord plain = new StepRecord(1, 0, new int[] {1, 2}, 0.5, 0.4, 0.7, 0.5, 1000L, 0.004, null, null, null,
                List.of(), Double.NaN, "none", 0, 0, 0, 0.1);
        Files.write(dir.resolve("plain-step.json"), RunDirectory.JSON.writeValueAsBytes(plain));
    }
}
