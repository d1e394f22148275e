package org.layerfuse.prune.cli;

import org.layerfuse.weights.PretrainedModels;
import picocli.CommandLine.Option;

/** {@code --model}: a pretrained encoder by name, or a Hugging Face model folder. */
public final class ModelOption {

    @Option(names = "--model", defaultValue = "minilm", paramLabel = "<name|folder>",
            description = "Encoder to prune: a name (${COMPLETION-CANDIDATES}) or the path of a Hugging Face model "
                    + "folder (config.json, model.safetensors, vocab.txt or tokenizer.json). Default: ${DEFAULT-VALUE}.",
            completionCandidates = ModelNames.class)
    String model;

    PretrainedModels.Pretrained load() {
        return PretrainedModels.load(model);
    }

    /** Completion candidates for --model. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return PretrainedModels.NAMES.iterator();
        }
    }
}
