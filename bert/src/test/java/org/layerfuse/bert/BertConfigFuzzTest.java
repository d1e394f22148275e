package org.layerfuse.bert;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;

/**
 * Hugging Face {@code config.json} as outside bytes: {@link BertConfig#fromJson(Path)} either reads
 * a config or fails with an IllegalArgumentException naming the file (and the key). Seeds and the
 * inputs that once failed are in {@code BertConfigFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class BertConfigFuzzTest {

    private static final Path FILE = FormatErrorContract.scratchFile("config.json");

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void configJson(byte[] input) throws Exception {
        Files.write(FILE, input);
        FormatErrorContract.check(FILE.toString(), () -> BertConfig.fromJson(FILE));
    }
}
