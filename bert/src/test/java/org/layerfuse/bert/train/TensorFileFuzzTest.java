package org.layerfuse.bert.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * Model and checkpoint files read on {@code --resume} ({@link TensorFile}): a damaged or foreign
 * file fails with an IllegalArgumentException naming it, before ND4J parses any array (the CRC32C
 * trailer is checked first). Seeds are files our writer produced ({@code TensorFileFuzzTestInputs/}).
 */
class TensorFileFuzzTest {

    private static final Path FILE = FormatErrorContract.scratchFile("model-step-001.bin");

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void tensorFile(byte[] input) throws Exception {
        Files.write(FILE, input);
        FormatErrorContract.check(FILE.toString(), () -> TensorFile.read(FILE));
    }
}
