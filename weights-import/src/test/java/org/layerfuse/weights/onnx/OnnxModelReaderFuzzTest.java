package org.layerfuse.weights.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Timeout;
import org.layerfuse.bert.FormatErrorContract;

/**
 * ONNX ModelProto bytes: {@link OnnxModelReader} reads the graph, nodes and initializers, or
 * fails with an IllegalArgumentException naming the source and the field. Seeds
 * ({@code OnnxModelReaderFuzzTestInputs/}) are tiny BERTs written by the test's own protobuf writer.
 */
class OnnxModelReaderFuzzTest {

    private static final String SOURCE = "fuzz-input.onnx";

    @FuzzTest(maxDuration = "1m")
    @Timeout(120)
    void onnxModel(byte[] input) {
        FormatErrorContract.check(SOURCE, () -> OnnxModelReader.read(ByteBuffer.wrap(input), SOURCE));
    }
}
