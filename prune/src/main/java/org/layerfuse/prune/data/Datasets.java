package org.layerfuse.prune.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Datasets by name, as the command line gives them ({@code --data spam-assassin}): the
 * built-in corpora, or else a path to a labelled-text file read with {@link TextFileDatasets}.
 */
public final class Datasets {

    @FunctionalInterface
    private interface Loader {
        LabeledDataset load() throws IOException;
    }

    private static final Map<String, Loader> BUILT_IN = new LinkedHashMap<>();

    static {
        for (SpamAssassinCorpus.View view : SpamAssassinCorpus.View.values()) {
            BUILT_IN.put(view.datasetName(), () -> SpamAssassinCorpus.standard().dataset(view));
        }
    }

    private Datasets() {
    }

    /** Names of the built-in datasets. */
    public static List<String> names() {
        return List.copyOf(BUILT_IN.keySet());
    }

    /**
     * The built-in dataset called {@code nameOrPath}, or the file at that path (read with
     * {@code fileOptions}, which built-in datasets ignore).
     */
    public static LabeledDataset load(String nameOrPath, TextFileOptions fileOptions) throws IOException {
        Loader builtIn = BUILT_IN.get(nameOrPath);
        if (builtIn != null) {
            return builtIn.load();
        }
        Path path = asPath(nameOrPath);
        if (path != null && (Files.exists(path) || TextFileFormat.isKnown(path)
                || nameOrPath.contains("/") || nameOrPath.contains("\\"))) {
            return TextFileDatasets.load(path, fileOptions);
        }
        throw new IllegalArgumentException("unknown dataset '" + nameOrPath + "': expected one of " + names()
                + ", or a path to a labelled-text file (" + TextFileFormat.allExtensions() + ")");
    }

    private static Path asPath(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
