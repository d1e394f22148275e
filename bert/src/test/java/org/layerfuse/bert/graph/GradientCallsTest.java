package org.layerfuse.bert.graph;

import org.layerfuse.bert.BitwiseArrays;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GradientCallsTest {

    /** loss = Σ (x·W)², so ∂loss/∂W = 2·xᵀ·(x·W), computed here by hand. */
    private static SameDiff graph(INDArray x, INDArray w) {
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("x", DataType.DOUBLE, -1, 3);
        SDVariable weights = sd.var("w", w);
        in.mmul(weights).pow(2).sum("loss").markAsLoss();
        return sd;
    }

    @Test
    void repeatedCallsGiveTheClosedFormGradientAndDropThePreviousSession() {
        Backend.init();
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 2, 3}, {-1, 0.5, 2}});
        INDArray w = Nd4j.createFromArray(new double[][] {{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}});
        SameDiff sd = graph(x, w);
        INDArray expected = x.transpose().mmul(x.mmul(w)).mul(2);
        long thread = Thread.currentThread().getId();

        OutAndGrad first = GradientCalls.outputsAndGradients(sd, Map.of("x", x), List.of("loss"), List.of("w"));
        assertEquals(expected, first.getGradients().get("w")); // the closed form, up to rounding
        INDArray firstGradient = first.getGradients().get("w").dup();
        InferenceSession firstSession = sd.getFunction("grad").getSessions().get(thread);
        assertNotNull(firstSession, "the first call ran in a session of this thread");
        WeakReference<InferenceSession> firstRef = new WeakReference<>(firstSession);
        firstSession = null;

        OutAndGrad second = GradientCalls.outputsAndGradients(sd, Map.of("x", x), List.of("loss"), List.of("w"));
        BitwiseArrays.assertBitwiseEqual(firstGradient, second.getGradients().get("w"), "the same call again");
        BitwiseArrays.assertBitwiseEqual(firstGradient, first.getGradients().get("w"),
                "the first call's returned gradient is intact");
        assertNotSame(firstRef.get(), sd.getFunction("grad").getSessions().get(thread), "a fresh session");
        System.gc();
        assertNull(firstRef.get(), "nothing keeps the first call's session (and its intermediates) alive");
    }
}
