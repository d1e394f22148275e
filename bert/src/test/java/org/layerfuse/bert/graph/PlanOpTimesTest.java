package org.layerfuse.bert.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PlanOpTimesTest {

    private record Seen(String name, long[] shape, long nanos) {
    }

    /**
     * A profiler's listener hears every op of a planned gradient call, the same ops in the same
     * order at each call, with the output shape and a positive time; once removed, nothing.
     */
    @Test
    void aListenerHearsEveryPlannedOpOfACallAndNothingOnceRemoved() {
        Backend.init();
        Nd4j.getRandom().setSeed(11);
        SameDiff sd = SameDiff.create();
        SDVariable p = sd.placeHolder("p", DataType.FLOAT, -1, 8);
        SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 8, 5).subi(0.5));
        sd.math().tanh(p.mmul(w)).sum("loss").markAsLoss();
        INDArray in = Nd4j.rand(DataType.FLOAT, 6, 8).subi(0.5);
        List<Seen> seen = new ArrayList<>();
        try (ArrayPool pool = new ArrayPool()) {
            PlanOpTimes.Listener before = PlanOpTimes.listen((name, shape, nanos) -> seen.add(new Seen(name, shape, nanos)));
            int firstCall;
            try {
                GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w"), pool);
                assertNotNull(pool.plan(), "the call ran a plan");
                firstCall = seen.size();
                GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w"), pool);
            } finally {
                PlanOpTimes.listen(before);
            }
            assertTrue(firstCall >= 4, "forward and backward ops heard, got " + seen);
            assertEquals(2 * firstCall, seen.size(), "the second call reports as many ops");
            for (int i = 0; i < firstCall; i++) {
                assertEquals(seen.get(i).name(), seen.get(firstCall + i).name(), "op " + i + " in the same order");
                assertTrue(seen.get(i).nanos() > 0 && seen.get(firstCall + i).nanos() > 0, "op " + i + " timed");
            }
            List<String> names = seen.stream().map(Seen::name).toList();
            assertTrue(names.contains("matmul") && names.contains("matmul_bp") && names.contains("tanh"),
                    "the product, its gradient and the activation, got " + names);
            Seen product = seen.get(names.indexOf("matmul"));
            assertArrayEquals(new long[]{6, 5}, product.shape(), "the product's output shape");
            int heard = seen.size();
            GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w"), pool);
            assertEquals(heard, seen.size(), "nothing heard once the listener is removed");
        }
    }
}
