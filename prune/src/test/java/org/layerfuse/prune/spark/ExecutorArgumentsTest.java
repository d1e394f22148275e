package org.layerfuse.prune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Executors run in another working directory: local paths on the command line become absolute, names stay. */
class ExecutorArgumentsTest {

    @Test
    void outModelFolderAndDataFilesBecomeAbsolute(@TempDir Path dir) throws Exception {
        Path data = Files.writeString(dir.resolve("reviews.csv"), "text,label\n");
        Path relativeData = Path.of("").toAbsolutePath().relativize(data);
        Path out = dir.resolve("study");
        List<String> args = ExecutorArguments.absolute(List.of("--model", "minilm", "--data",
                "spam-assassin," + relativeData, "--out=results/x", "--seed", "7"), out);
        assertEquals(List.of("--model", "minilm", "--data", "spam-assassin," + data, "--out", out.toString(), "--seed", "7"),
                args);
        assertEquals(List.of("--repeats", "1", "--out", out.toString()),
                ExecutorArguments.absolute(List.of("--repeats", "1"), out), "the driver's --out is always passed");
    }
}
