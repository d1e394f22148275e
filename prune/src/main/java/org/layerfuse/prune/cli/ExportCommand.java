package org.layerfuse.prune.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.layerfuse.api.SentencePooling;
import org.layerfuse.weights.PretrainedModels;
import org.layerfuse.weights.export.ExportFormat;
import org.layerfuse.weights.export.ModelExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code layerfuse export}: a model (by name or folder) as a deployable folder, ONNX and/or Hugging Face. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a model as a deployable folder: model.onnx (ONNX opset 17, float32; inputs input_ids, "
                + "attention_mask, token_type_ids as int64 [batch, sequence]; outputs last_hidden_state, pooler_output "
                + "and logits where the model has them; class names in the metadata) and/or model.safetensors, with "
                + "config.json and the tokenizer file (and sentence-transformers' pooling files where the model defines "
                + "them, e.g. minilm). A pruned model folder exports only its live layers."})
public final class ExportCommand implements Callable<Integer> {

    @Mixin
    ModelOption model;

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "onnx|hf|both",
            description = "What to write (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "<dir>", description = "The folder to write.")
    Path out;

    @Option(names = "--overwrite", description = "Replace a non-empty --out folder.")
    boolean overwrite;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        ExportFormat f = ExportFormat.parse(format);
        runtime.start();
        PretrainedModels.Pretrained pretrained = model.load();
        long t0 = System.nanoTime();
        ModelExport.write(pretrained.weights(), pretrained.tokenizerFile(), out, f, overwrite,
                SentencePooling.configured(model.model)
                        .map(p -> p.sentenceTransformersFiles(pretrained.weights().config().hiddenSize()))
                        .orElse(java.util.Map.of()));
        System.out.printf(Locale.ROOT, "%s (%d layers, %s) written to %s as %s in %.1f s%n", pretrained.name(),
                pretrained.weights().config().numHiddenLayers(),
                pretrained.weights().config().labels().isEmpty() ? "encoder"
                        : "classifier " + pretrained.weights().config().labels(),
                out, f.name().toLowerCase(Locale.ROOT), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
