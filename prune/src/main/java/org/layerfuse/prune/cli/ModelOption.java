package org.layerfuse.prune.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.hf.HuggingFaceFolder;
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

    /**
     * Loads the model once {@code --max-length} is known to fit its position table: a folder's
     * config.json is read before its weights; a named model's config comes with its weights.
     */
    PretrainedModels.Pretrained load(int maxLength) {
        Path config = Path.of(model).resolve(HuggingFaceFolder.CONFIG);
        if (Files.isRegularFile(config)) {
            DataOptions.checkMaxLength(maxLength, BertConfig.fromJson(config), model);
        }
        PretrainedModels.Pretrained pretrained = load();
        DataOptions.checkMaxLength(maxLength, pretrained.weights().config(), pretrained.name());
        return pretrained;
    }

    /** Completion candidates for --model. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return PretrainedModels.NAMES.iterator();
        }
    }
}
