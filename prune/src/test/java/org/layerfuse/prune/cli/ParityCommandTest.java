package org.layerfuse.prune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code layerfuse parity} as README describes it: the real MiniLM in our graph against ONNX
 * Runtime on the sample sentences, max |difference| ≈ 5e-6, so the default tolerance (1e-5) passes
 * with exit code 0; a tolerance below what is measured reports DISAGREE with exit code 1.
 */
class ParityCommandTest {

    private static final Pattern WORST = Pattern.compile("max \\|ours - ONNX Runtime\\| over all real tokens: ([0-9.eE+-]+)");

    /** Runs the command, capturing what it prints to System.out. */
    private static String[] run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = LayerFuseCli.commandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
        return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void agreesWithOnnxRuntimeWithinReadmesFigureAndFailsBelowIt() {
        String[] ok = run("parity", "--threads", "2", "--max-length", "32");
        Matcher m = WORST.matcher(ok[1]);
        assertTrue(m.find(), ok[1]);
        double worst = Double.parseDouble(m.group(1));
        assertEquals("0", ok[0], ok[1]);
        assertTrue(ok[1].contains("AGREE") && !ok[1].contains("DISAGREE"), ok[1]);
        assertTrue(worst > 0 && worst <= 1e-5, "README: ≈ 5e-6; measured " + worst);

        String[] strict = run("parity", "--threads", "2", "--max-length", "32", "--tolerance", "1e-9");
        assertEquals("1", strict[0], strict[1]);
        assertTrue(strict[1].contains("DISAGREE"), strict[1]);
    }
}
