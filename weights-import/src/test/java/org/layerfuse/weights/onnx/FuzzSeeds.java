package org.layerfuse.weights.onnx;

import java.nio.file.Path;
import org.layerfuse.bert.Activation;
import org.layerfuse.weights.FuzzSeedWriter;

/** Seeds of {@link OnnxModelReaderFuzzTest}: tiny BERTs in each layout our importer supports. */
public final class FuzzSeeds {

    private FuzzSeeds() {
    }

    public static void write(Path dir) throws Exception {
        TinyBertOnnx.Options hf = TinyBertOnnx.Options.huggingFace();
        FuzzSeedWriter.write(dir, "hugging-face-matmul.onnx", TinyBertOnnx.build(hf, 1).bytes);
        FuzzSeedWriter.write(dir, "transpose-out-in.onnx",
                TinyBertOnnx.build(hf.layout(TinyBertOnnx.Layout.TRANSPOSE_OUT_IN), 2).bytes);
        FuzzSeedWriter.write(dir, "gemm-fused-layernorm.onnx", TinyBertOnnx.build(hf.layout(TinyBertOnnx.Layout.GEMM_OUT_IN)
                .variant(Activation.GELU_TANH, true, true, "bert.", 1e-12f, -10000f, true), 3).bytes);
    }
}
