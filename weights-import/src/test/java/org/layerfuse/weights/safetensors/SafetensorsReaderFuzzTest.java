package org.layerfuse.weights.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * safetensors files as outside bytes: the header is checked and every tensor it declares is read
 * (memory-mapped, converted to float32), or an IllegalArgumentException names the file (and the
 * tensor). Seeds ({@code SafetensorsReaderFuzzTestInputs/}) come from {@link SafetensorsWriter}.
 */
class SafetensorsReaderFuzzTest {

    private static final Path FILE = FormatErrorContract.scratchFile("model.safetensors");

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void safetensors(byte[] input) throws Exception {
        Files.write(FILE, input);
        FormatErrorContract.check(FILE.toString(), () -> {
            try (SafetensorsReader r = SafetensorsReader.open(FILE)) {
                for (String name : r.entries().keySet()) {
                    r.readFloat(name);
                }
            }
        });
    }
}
