package org.layerfuse.prune.cli;

import java.util.List;
import org.layerfuse.engine.ResidentMemory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code layerfuse} command: prune BERT-family encoders by strategic fusion, on the JVM. */
@Command(name = "layerfuse", mixinStandardHelpOptions = true, version = "layerfuse 0.1.0",
        description = "Layer pruning of BERT-family encoders by strategic fusion of layer signals, healed by "
                + "fine-tuning, distillation or grafting.",
        subcommands = {StudyCommand.class, PruneCommand.class, SignalsCommand.class, EvalCommand.class, ReportCommand.class,
                ParityCommand.class, ExportCommand.class, PredictCommand.class,
                CommandLine.HelpCommand.class})
public final class LayerFuseCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The command line with every subcommand registered. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new LayerFuseCli());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("layerfuse " + commandLine.getCommandName() + ": error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    public static void main(String[] args) {
        if (Boolean.getBoolean("layerfuse.checkArgs")) {
            System.exit(checkArgs(args));
        }
        int status = commandLine().execute(args);
        if (args.length > 0 && !List.of("-h", "--help", "-V", "--version", "help").contains(args[0])) {
            // What the run needed, so a user can size the machine for the next one.
            System.err.println("layerfuse: peak resident memory " + ResidentMemory.format(ResidentMemory.peakBytes()));
        }
        System.exit(status);
    }

    /**
     * Parses and validates a command line without running it ({@code -Dlayerfuse.checkArgs=true}, used
     * by {@code .ci/readme-commands}): unknown options, malformed values and out-of-range values fail
     * with exit code 2, as they would at the start of a real run.
     */
    static int checkArgs(String... args) {
        CommandLine cli = commandLine();
        try {
            CommandLine.ParseResult r = cli.parseArgs(args);
            while (r.hasSubcommand()) {
                r = r.subcommand();
            }
            if (r.commandSpec().userObject() instanceof ValidatedOptions v) {
                v.validate();
            }
            cli.getOut().println("layerfuse: command line OK (not run): " + String.join(" ", args));
            return 0;
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            cli.getErr().println("layerfuse: error: " + e.getMessage());
            return 2;
        }
    }
}
