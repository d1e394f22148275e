package org.layerfuse.prune.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every option of every command is range-checked before any work: each bad value exits with code
 * 2 and a message naming the option and its range, and a good value of the same option passes.
 * Bad cases run with {@code --model no-such-model}: had validation let the value through, the run
 * would reach the model load and fail with "unknown model" instead, which the assertions reject.
 */
class OptionValidationTest {

    private static final String NO_MODEL = "no-such-model";

    /** {command, option, bad value, good value, text the message must contain}. */
    static Stream<Arguments> options() {
        List<Arguments> rows = new ArrayList<>();
        for (String cmd : List.of("study", "prune", "signals", "eval")) {
            rows.add(Arguments.of(cmd, "--epochs", "0", "1", "--epochs must be >= 1"));
            rows.add(Arguments.of(cmd, "--heal-epochs", "-1", "2", "--heal-epochs must be >= 1"));
            rows.add(Arguments.of(cmd, "--lr", "0", "3e-5", "--lr must be a finite number > 0"));
            rows.add(Arguments.of(cmd, "--lr", "NaN", "1e-4", "--lr must be a finite number > 0"));
            rows.add(Arguments.of(cmd, "--batch-size", "0", "8", "--batch-size must be >= 1"));
            rows.add(Arguments.of(cmd, "--weight-decay", "-0.1", "0", "--weight-decay must be a finite number >= 0"));
            rows.add(Arguments.of(cmd, "--kd-alpha", "2", "1", "--kd-alpha must be in [0, 1], got 2.0"));
            rows.add(Arguments.of(cmd, "--kd-alpha", "-0.5", "0", "--kd-alpha must be in [0, 1]"));
            rows.add(Arguments.of(cmd, "--kd-temperature", "0", "0.5", "--kd-temperature must be a finite number > 0"));
            rows.add(Arguments.of(cmd, "--kd-temperature", "Infinity", "4", "--kd-temperature must be a finite number > 0"));
            rows.add(Arguments.of(cmd, "--threads", "-1", "0", "--threads must be >= 0 (0: one per logical core)"));
            rows.add(Arguments.of(cmd, "--train-size", "0", "300", "--train-size must be >= 1"));
            rows.add(Arguments.of(cmd, "--heal-size", "257", "256", "--heal-size must be in [1, --train-size = 256]"));
            rows.add(Arguments.of(cmd, "--heal-size", "0", "1", "--heal-size must be in [1, --train-size = 256]"));
            rows.add(Arguments.of(cmd, "--signal-size", "300", "64", "--signal-size must be in [1, --train-size = 256]"));
            rows.add(Arguments.of(cmd, "--validation-size", "0", "10", "--validation-size must be >= 1"));
            rows.add(Arguments.of(cmd, "--test-size", "-3", "100", "--test-size must be >= 1"));
            rows.add(Arguments.of(cmd, "--max-length", "2", "3", "--max-length must be >= 3"));
            rows.add(Arguments.of(cmd, "--text-column", "", "body", "--text-column must not be empty"));
            rows.add(Arguments.of(cmd, "--label-column", " ", "stars", "--label-column must not be empty"));
            rows.add(Arguments.of(cmd, "--gradient-memory", "lots", "512m",
                    "--gradient-memory must be a byte count such as 512m, 2g or 0 (never split); got 'lots'"));
            rows.add(Arguments.of(cmd, "--gradient-memory", "-1g", "0", "--gradient-memory must be a byte count"));
        }
        for (String cmd : List.of("study", "prune", "signals")) {
            rows.add(Arguments.of(cmd, "--mi", "entropy", "knn", "--mi must be one of gaussian, knn, binned, variance"));
            rows.add(Arguments.of(cmd, "--mi-dims", "0", "4", "--mi-dims must be >= 1"));
            rows.add(Arguments.of(cmd, "--signal-batch", "0", "4", "--signal-batch must be >= 1"));
        }
        for (String cmd : List.of("study", "prune")) {
            rows.add(Arguments.of(cmd, "--graft-window", "0", "3", "--graft-window must be >= 1"));
            rows.add(Arguments.of(cmd, "--graft-rank", "0", "8", "--graft-rank must be >= 1"));
            rows.add(Arguments.of(cmd, "--graft-loss", "cosine", "mse", "--graft-loss must be kl or mse"));
            rows.add(Arguments.of(cmd, "--graft-temperature", "0", "2", "--graft-temperature must be a finite number > 0"));
            rows.add(Arguments.of(cmd, "--graft-calibration", "-1", "0", "--graft-calibration must be >= 0"));
            rows.add(Arguments.of(cmd, "--graft-calibration", "257", "256", "--graft-calibration must be in [0, --train-size = 256"));
            rows.add(Arguments.of(cmd, "--graft-epochs", "0", "1", "--graft-epochs must be >= 1"));
            rows.add(Arguments.of(cmd, "--graft-batch-size", "0", "4", "--graft-batch-size must be >= 1"));
            rows.add(Arguments.of(cmd, "--graft-lr", "-1e-3", "1e-2", "--graft-lr must be a finite number > 0"));
            rows.add(Arguments.of(cmd, "--graft-weight-lr", "0", "1e-5", "--graft-weight-lr must be a finite number > 0"));
        }
        rows.add(Arguments.of("study", "--repeats", "0", "1", "--repeats must be >= 1"));
        rows.add(Arguments.of("study", "--layers-to-remove", "-1", "0", "--layers-to-remove must be >= 0 (0: all but one"));
        rows.add(Arguments.of("study", "--strategies", "best-one", "random,random-forest", "unknown strategy 'best-one'"));
        rows.add(Arguments.of("study", "--heal", "ce,grafting", "none,graft", "unknown --heal mode 'grafting'"));
        rows.add(Arguments.of("prune", "--layers-to-remove", "0", "2", "--layers-to-remove must be >= 1"));
        rows.add(Arguments.of("prune", "--strategy", "best-one", "weight-norm", "unknown strategy 'best-one'"));
        rows.add(Arguments.of("prune", "--heal", "grafting", "graft-static", "unknown --heal mode 'grafting'"));
        rows.add(Arguments.of("parity", "--threads", "-2", "1", "--threads must be >= 0 (0: one per logical core)"));
        rows.add(Arguments.of("parity", "--max-length", "1", "16", "--max-length must be >= 3"));
        rows.add(Arguments.of("parity", "--tolerance", "0", "1e-5", "--tolerance must be a finite number > 0"));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("options")
    void badValueIsRefusedBeforeAnyWorkNamingTheOption(String cmd, String option, String bad, String good,
                                                      String message) {
        List<String> args = new ArrayList<>(List.of(cmd, option + "=" + bad));
        if (!cmd.equals("parity")) {
            args.addAll(List.of("--model", NO_MODEL));
        }
        CliErrorsTest.Outcome o = CliErrorsTest.run(args.toArray(String[]::new));
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains(message), "expected '" + message + "' in: " + o.err());
        assertTrue(!o.err().contains(NO_MODEL), "validation must come before the model load: " + o.err());
    }

    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("options")
    void goodValuePassesValidation(String cmd, String option, String bad, String good, String message) {
        Object command = parse(cmd, option + "=" + good);
        assertDoesNotThrow(() -> validate(command));
    }

    @Test
    void defaultsPassValidation() {
        for (String cmd : List.of("study", "prune", "signals", "eval", "parity")) {
            Object command = parse(cmd);
            assertDoesNotThrow(() -> validate(command), cmd);
        }
    }

    @Test
    void maxLengthBeyondTheModelsPositionTableIsRefusedBeforeItsWeights(@TempDir Path dir) throws Exception {
        // A folder with only config.json: had the weights been read first, the error would be the missing
        // model.safetensors instead.
        Files.writeString(dir.resolve("config.json"), """
                {"vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "intermediate_size": 16, "hidden_act": "gelu", "max_position_embeddings": 64,
                 "type_vocab_size": 2, "layer_norm_eps": 1e-12}""");
        for (String cmd : List.of("study", "prune", "signals", "eval")) {
            CliErrorsTest.Outcome o = CliErrorsTest.run(cmd, "--model", dir.toString(), "--max-length", "65");
            assertEquals(2, o.code(), o.err());
            assertTrue(o.err().contains("--max-length must be in [3, max_position_embeddings = 64 of " + dir), o.err());
        }
    }

    @Test
    void threadsHelpSaysWhatZeroMeans() {
        for (String cmd : List.of("study", "prune", "signals", "eval", "parity")) {
            CliErrorsTest.Outcome o = CliErrorsTest.run(cmd, "--help");
            assertTrue(o.out().replaceAll("\\s+", " ").contains("0 (the default) uses one per logical core"), o.out());
        }
    }

    @Test
    void checkArgsParsesAndValidatesWithoutRunning() {
        // What .ci/readme-commands runs for each README command line (-Dlayerfuse.checkArgs=true).
        assertEquals(0, LayerFuseCli.checkArgs("study", "--repeats", "3", "--layers-to-remove", "2"));
        assertEquals(0, LayerFuseCli.checkArgs("prune", "--model", "bert-base", "--heal", "kd", "--out", "results/x"));
        assertEquals(2, LayerFuseCli.checkArgs("study", "--bogus"), "an unknown option");
        assertEquals(2, LayerFuseCli.checkArgs("study", "--repeats", "three"), "a malformed value");
        assertEquals(2, LayerFuseCli.checkArgs("study", "--kd-alpha", "2"), "an out-of-range value");
        assertEquals(2, LayerFuseCli.checkArgs("bogus-command"));
    }

    private static Object parse(String... args) {
        CommandLine cli = LayerFuseCli.commandLine();
        CommandLine.ParseResult result = cli.parseArgs(args);
        return result.subcommand().commandSpec().userObject();
    }

    private static void validate(Object command) {
        if (command instanceof StudyCommand c) {
            c.validate();
        } else if (command instanceof PruneCommand c) {
            c.validate();
        } else if (command instanceof SignalsCommand c) {
            c.validate();
        } else if (command instanceof EvalCommand c) {
            c.validate();
        } else if (command instanceof ParityCommand c) {
            c.validate();
        } else {
            throw new AssertionError("no validate() for " + command);
        }
    }
}
