package org.layerfuse.bert;

import java.util.Locale;

/** The FFN non-linearity. BERT checkpoints differ in which GELU form they were trained and exported with. */
public enum Activation {
    /** GELU, exact: x·Φ(x) = ½x(1 + erf(x/√2)). Hugging Face {@code "gelu"}; the MiniLM ONNX export. */
    GELU_ERF,
    /** GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). Google's TF BERT; HF {@code "gelu_new"}. */
    GELU_TANH,
    /** max(0, x). */
    RELU;

    /** Maps a Hugging Face {@code hidden_act} value. */
    public static Activation fromHuggingFace(String hiddenAct) {
        return switch (hiddenAct.toLowerCase(Locale.ROOT)) {
            case "gelu", "gelu_python" -> GELU_ERF;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh" -> GELU_TANH;
            case "relu" -> RELU;
            default -> throw new IllegalArgumentException("hidden_act '" + hiddenAct
                    + "' is not supported; expected one of gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu");
        };
    }

    /** The Hugging Face {@code hidden_act} value that names this activation. */
    public String huggingFaceName() {
        return switch (this) {
            case GELU_ERF -> "gelu";
            case GELU_TANH -> "gelu_new";
            case RELU -> "relu";
        };
    }
}
