package org.layerfuse.prune.loop;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * Step records read on {@code --resume}: {@link RunDirectory#readStep} returns a whole record or
 * fails with an IllegalArgumentException naming the file (a failed record is recomputed, never
 * trusted). Seeds ({@code StepRecordFuzzTestInputs/}) are records our pruner wrote.
 */
class StepRecordFuzzTest {

    private static final Path FILE = FormatErrorContract.scratchFile("step-001.json");

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void stepRecord(byte[] input) throws Exception {
        Files.write(FILE, input);
        FormatErrorContract.check(FILE.toString(), () -> RunDirectory.readStep(FILE, 1));
    }
}
