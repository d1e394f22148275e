package org.layerfuse.weights.export;

import java.util.Locale;

/** What an exported model folder holds besides config.json and the tokenizer. */
public enum ExportFormat {
    /** model.safetensors: a Hugging Face folder (transformers, LayerFuse's --model). */
    HF,
    /** model.onnx: ONNX Runtime and other JVM runtimes. */
    ONNX,
    /** both files in one folder. */
    BOTH;

    public boolean hf() {
        return this != ONNX;
    }

    public boolean onnx() {
        return this != HF;
    }

    /** Parses {@code hf|onnx|both} (any case); an error lists the valid values. */
    public static ExportFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("export format '" + value + "' is not one of hf, onnx, both");
        }
    }
}
