package org.layerfuse.prune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudySpec;
import picocli.CommandLine;

/** Bad command lines fail fast with a message that says what is wrong and what is valid. */
class CliErrorsTest {

    record Outcome(int code, String err, String out) {
    }

    static Outcome run(String... args) {
        CommandLine cli = LayerFuseCli.commandLine();
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(out, true));
        int code = cli.execute(args);
        return new Outcome(code, err.toString(), out.toString());
    }

    @Test
    void unknownStrategyListsTheValidOnes(@TempDir Path dir) {
        Outcome o = run("prune", "--strategy", "best-one", "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("unknown strategy 'best-one'") && o.err().contains("random-forest"), o.err());
    }

    @Test
    void badGraftingOptionsNameTheOption(@TempDir Path dir) {
        Outcome o = run("prune", "--heal", "graft", "--graft-loss", "cosine", "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--graft-loss must be kl or mse"), o.err());
        o = run("prune", "--heal", "graft", "--graft-rank", "0", "--out", dir.toString());
        assertTrue(o.err().contains("--graft-rank must be >= 1"), o.err());
        o = run("study", "--heal", "ce,grafting", "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("unknown --heal mode 'grafting'") && o.err().contains("graft-static"), o.err());
        assertTrue(run("study", "--help").out().contains("--graft-window"), "--help lists the grafting options");
    }

    @Test
    void aSecondRunOnTheSameOutIsRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        Process running = new ProcessBuilder("sleep", "600").start();
        try {
            org.layerfuse.prune.loop.OutputLockTest.writeLock(dir, running.pid(),
                    java.net.InetAddress.getLocalHost().getHostName());
            for (String cmd : List.of("study", "prune")) {
                Outcome o = run(cmd, "--out", dir.toString(), "--model", "no-such-model");
                assertEquals(2, o.code(), o.err());
                assertTrue(o.err().contains("is in use by another LayerFuse run (pid " + running.pid()), o.err());
                assertTrue(!o.err().contains("no-such-model"), "refused before the model load: " + o.err());
            }
            Outcome o = run("report", dir.toString());
            assertEquals(2, o.code(), o.err());
            assertTrue(o.err().contains("in use by another LayerFuse run (pid " + running.pid()), o.err());
        } finally {
            running.destroy();
            running.waitFor();
        }
    }

    @Test
    void unknownModelListsTheValidNames() {
        Outcome o = run("eval", "--model", "gpt-17");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("unknown model 'gpt-17'") && o.err().contains("minilm, bert-base"), o.err());
    }

    @Test
    void removingAsManyLayersAsTheModelHasIsRefused(@TempDir Path dir) {
        Outcome o = run("prune", "--layers-to-remove", "6", "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--layers-to-remove must be in [1, 5]"), o.err());
        o = run("study", "--layers-to-remove", "9", "--out", dir.toString());
        assertTrue(o.err().contains("--layers-to-remove must be in [1, 5]"), o.err());
    }

    @Test
    void dataFileWithoutTheNamedColumnsNamesFileAndColumn(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("reviews.csv");
        Files.writeString(csv, "review,stars\ngreat phone,5\nbroke in a day,1\n");
        Outcome o = run("eval", "--data", csv.toString(), "--text-column", "review", "--label-column", "label");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("reviews.csv") && o.err().contains("label") && o.err().contains("stars"), o.err());
    }

    @Test
    void resultsDirectoryOfAnotherStudyIsRefusedAndKept(@TempDir Path dir) throws Exception {
        StudySpec other = new StudySpec("minilm", List.of("spam-assassin"), List.of("ce"), List.of("random"), 1, 1, 6,
                7, 10, 10, 10, 10, 10, 8, "other trainer");
        StudyResults.writeSpec(dir, other);
        String before = Files.readString(StudyResults.specFile(dir));
        Outcome o = run("study", "--strategies", "random", "--heal", "ce", "--layers-to-remove", "1", "--out",
                dir.toString(), "--resume");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("holds a study with other settings"), o.err());
        assertEquals(before, Files.readString(StudyResults.specFile(dir)), "the existing results are untouched");
    }

    @Test
    void unknownHealingModeIsRefused(@TempDir Path dir) {
        Outcome o = run("study", "--heal", "magic", "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("unknown --heal mode 'magic'"), o.err());
    }

    @Test
    void helpExplainsEveryStudyOption() {
        Outcome o = run("study", "--help");
        assertEquals(0, o.code());
        for (String option : List.of("--model", "--data", "--strategies", "--heal", "--repeats", "--layers-to-remove",
                "--train-size", "--test-size", "--max-length", "--epochs", "--kd-alpha", "--threads", "--seed", "--out",
                "--resume")) {
            assertTrue(o.out().contains(option), "help mentions " + option);
        }
    }
}
