package org.layerfuse.bert.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SessionMemMgr;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class GradientCallsTest {

    /** loss = Σ (x·W)², so ∂loss/∂W = 2·xᵀ·(x·W), computed here by hand. */
    private static SameDiff squareGraph(INDArray w) {
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("x", DataType.DOUBLE, -1, 3);
        SDVariable weights = sd.var("w", w);
        in.mmul(weights).pow(2).sum("loss").markAsLoss();
        return sd;
    }

    /** Two tanh layers with a skip connection: enough intermediates for release to matter. */
    private static SameDiff deepGraph() {
        Nd4j.getRandom().setSeed(7);
        SameDiff sd = SameDiff.create();
        SDVariable p = sd.placeHolder("p", DataType.FLOAT, -1, 16);
        SDVariable w1 = sd.var("w1", Nd4j.rand(DataType.FLOAT, 16, 16).subi(0.5));
        SDVariable w2 = sd.var("w2", Nd4j.rand(DataType.FLOAT, 16, 16).subi(0.5));
        SDVariable h = sd.math().tanh(p.mmul(w1));
        sd.math().tanh(h.mmul(w2).add(h)).mul(h).sum("loss").markAsLoss();
        return sd;
    }

    /** Counts what a session allocates and gives back; delegates the memory work. */
    private static final class CountingMemory extends AbstractMemoryMgr {
        final SessionMemMgr delegate;
        int allocated;
        int released;
        boolean closed;

        CountingMemory(SessionMemMgr delegate) {
            this.delegate = delegate;
        }

        @Override
        public INDArray allocate(boolean detached, DataType dataType, long... shape) {
            allocated++;
            return delegate.allocate(detached, dataType, shape);
        }

        @Override
        public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
            allocated++;
            return delegate.allocate(detached, descriptor);
        }

        @Override
        public void release(INDArray array) {
            released++;
            delegate.release(array);
        }

        @Override
        public void close() {
            closed = true;
            delegate.close();
        }
    }

    @Test
    void repeatedCallsGiveTheClosedFormGradient() {
        Backend.init();
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 2, 3}, {-1, 0.5, 2}});
        INDArray w = Nd4j.createFromArray(new double[][] {{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}});
        SameDiff sd = squareGraph(w);
        double[] expected = x.transpose().mmul(x.mmul(w)).mul(2).data().asDouble();

        OutAndGrad first = GradientCalls.outputsAndGradients(sd, Map.of("x", x), List.of("loss"), List.of("w"));
        double[] firstGradient = first.getGradients().get("w").data().asDouble();
        assertCloseTo(expected, firstGradient, 1e-12);
        OutAndGrad second = GradientCalls.outputsAndGradients(sd, Map.of("x", x), List.of("loss"), List.of("w"));
        assertArrayEquals(firstGradient, second.getGradients().get("w").data().asDouble(), "same bits on every call");
        assertArrayEquals(firstGradient, first.getGradients().get("w").data().asDouble(),
                "the first call's returned gradient is intact after the second call reused the memory");
        assertEquals(first.getOutputs().get("loss").getDouble(0), second.getOutputs().get("loss").getDouble(0));
    }

    @Test
    void equalsSameDiffsOwnGradientCallBitForBit() {
        Backend.init();
        INDArray in = Nd4j.rand(DataType.FLOAT, 32, 16).subi(0.5);
        SameDiff reference = deepGraph();
        OutAndGrad expected = reference.calculateGradientsAndOutputs(Map.of("p", in), List.of("loss"),
                List.of("w1", "w2"));
        SameDiff sd = deepGraph();
        for (int call = 0; call < 3; call++) {
            OutAndGrad got = GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w1", "w2"));
            for (String v : List.of("w1", "w2")) {
                assertArrayEquals(expected.getGradients().get(v).data().asFloat(), got.getGradients().get(v).data().asFloat(),
                        "gradient of " + v + ", call " + call);
            }
            assertEquals(expected.getOutputs().get("loss").getFloat(0), got.getOutputs().get("loss").getFloat(0));
        }
    }

    /**
     * Pooled calls run a {@link GraphPlan}: the same bits as SameDiff's own call at every call
     * (the first one plans and allocates, later ones reuse), for batches of two sizes in turn
     * (each change of shape makes a new plan), with the results given back between calls.
     */
    @Test
    void plannedCallsEqualSameDiffsOwnCallBitForBit() {
        Backend.init();
        INDArray large = Nd4j.rand(DataType.FLOAT, 32, 16).subi(0.5);
        INDArray small = Nd4j.rand(DataType.FLOAT, 5, 16).subi(0.5);
        SameDiff sd = deepGraph();
        try (ArrayPool pool = new ArrayPool()) {
            INDArray[] inputs = {large, large, small, small, large};
            for (int call = 0; call < inputs.length; call++) {
                INDArray in = inputs[call];
                OutAndGrad expected = deepGraph().calculateGradientsAndOutputs(Map.of("p", in), List.of("loss"),
                        List.of("w1", "w2"));
                OutAndGrad got = GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"),
                        List.of("w1", "w2"), pool);
                assertTrue(pool.plan() != null, "call " + call + " ran a plan");
                for (String v : List.of("w1", "w2")) {
                    assertArrayEquals(expected.getGradients().get(v).data().asFloat(),
                            got.getGradients().get(v).data().asFloat(), "gradient of " + v + ", call " + call);
                }
                assertEquals(expected.getOutputs().get("loss").getFloat(0), got.getOutputs().get("loss").getFloat(0),
                        "loss, call " + call);
                if (call % 2 == 0) {
                    pool.recycle(got.getGradients().values());
                }
            }
        }
    }

    /** A plan's results belong to the caller: the next call writes into new arrays, not into them. */
    @Test
    void aPlansResultsSurviveTheNextCall() {
        Backend.init();
        SameDiff sd = deepGraph();
        try (ArrayPool pool = new ArrayPool()) {
            INDArray a = Nd4j.rand(DataType.FLOAT, 8, 16).subi(0.5);
            INDArray b = Nd4j.rand(DataType.FLOAT, 8, 16).subi(0.5);
            OutAndGrad first = GradientCalls.outputsAndGradients(sd, Map.of("p", a), List.of("loss"), List.of("w1"), pool);
            float[] kept = first.getGradients().get("w1").data().asFloat();
            OutAndGrad second = GradientCalls.outputsAndGradients(sd, Map.of("p", b), List.of("loss"), List.of("w1"), pool);
            assertArrayEquals(kept, first.getGradients().get("w1").data().asFloat(), "first call's gradient untouched");
            assertTrue(first.getGradients().get("w1") != second.getGradients().get("w1"), "a new array for the new call");
            assertTrue(pool.pooledBytes() > 0, "the plan holds the intermediates for the next call");
        }
    }

    /** An output that is another name of an intermediate (an identity op) is the caller's too. */
    @Test
    void anAliasedOutputSurvivesTheNextCall() {
        Backend.init();
        Nd4j.getRandom().setSeed(11);
        SameDiff sd = SameDiff.create();
        SDVariable p = sd.placeHolder("p", DataType.FLOAT, -1, 4);
        SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 4, 4));
        SDVariable h = sd.math().tanh(p.mmul(w));
        sd.identity("seen", h);
        h.mul(h).sum("loss").markAsLoss();
        try (ArrayPool pool = new ArrayPool()) {
            INDArray a = Nd4j.rand(DataType.FLOAT, 3, 4);
            INDArray b = Nd4j.rand(DataType.FLOAT, 3, 4);
            OutAndGrad first = GradientCalls.outputsAndGradients(sd, Map.of("p", a), List.of("loss", "seen"),
                    List.of("w"), pool);
            float[] seen = first.getOutputs().get("seen").data().asFloat();
            assertArrayEquals(Transforms.tanh(a.mmul(w.getArr()), true).data().asFloat(), seen, 1e-6f);
            GradientCalls.outputsAndGradients(sd, Map.of("p", b), List.of("loss", "seen"), List.of("w"), pool);
            assertArrayEquals(seen, first.getOutputs().get("seen").data().asFloat(), "untouched by the second call");
        }
    }

    /** A plan hands a dead intermediate's array to a later op: it holds less than an array per intermediate. */
    @Test
    void aPlanSharesTheArraysOfDeadIntermediates() {
        Backend.init();
        SameDiff sd = deepGraph();
        try (ArrayPool pool = new ArrayPool()) {
            INDArray in = Nd4j.rand(DataType.FLOAT, 64, 16).subi(0.5);
            GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w1", "w2"), pool);
            GraphPlan plan = pool.plan();
            long held = plan.heldBytes();
            long unshared = plan.unsharedBytes();
            assertTrue(held > 0 && held < unshared * 3 / 4, "plan holds " + held + " bytes, " + unshared
                    + " with an array per intermediate");
        }
    }

    /**
     * A call collects dead arrays first unless its plan's last call allocated nothing (every
     * result in a recycled array): a plan's first call, and a call after one whose results were
     * not recycled, collect whenever the time share allows; a steady recycling loop only when
     * malloc'd memory has grown.
     */
    @Test
    void onlyACallAfterAnAllocationFreeCallSkipsTheCollection() {
        Backend.init();
        SameDiff sd = deepGraph();
        INDArray in = Nd4j.rand(DataType.FLOAT, 8, 16).subi(0.5);
        List<Boolean> quiet = new ArrayList<>();
        java.util.function.Consumer<Boolean> saved = GradientCalls.reclaimer;
        GradientCalls.reclaimer = quiet::add;
        try (ArrayPool pool = new ArrayPool()) {
            for (int call = 0; call < 6; call++) {
                OutAndGrad got = GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"),
                        List.of("w1", "w2"), pool);
                if (call != 3) { // call 3's results are dropped: call 4 allocates fresh ones
                    List<INDArray> spent = new ArrayList<>(got.getGradients().values());
                    spent.addAll(got.getOutputs().values());
                    pool.recycle(spent);
                }
            }
        } finally {
            GradientCalls.reclaimer = saved;
        }
        // 0: first call; 1: the first call's results were fresh; 2, 3, 4: the previous call
        // allocated nothing; 5: call 4 allocated its results afresh
        assertEquals(List.of(false, false, true, true, true, false), quiet);
    }

    /** With plans off ({@code -Dlayerfuse.graphPlan=false}), pooled calls go through SameDiff's session. */
    @Test
    void plansCanBeTurnedOff() {
        Backend.init();
        SameDiff sd = deepGraph();
        INDArray in = Nd4j.rand(DataType.FLOAT, 8, 16).subi(0.5);
        try (ArrayPool pool = new ArrayPool()) {
            GradientCalls.usePlans(false);
            OutAndGrad got = GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w1"), pool);
            assertTrue(pool.plan() == null, "no plan made");
            GradientCalls.usePlans(true);
            OutAndGrad planned = GradientCalls.outputsAndGradients(sd, Map.of("p", in), List.of("loss"), List.of("w1"),
                    pool);
            assertArrayEquals(got.getGradients().get("w1").data().asFloat(),
                    planned.getGradients().get("w1").data().asFloat());
        } finally {
            GradientCalls.usePlans(true);
        }
    }

    /**
     * The regression this class exists for: SameDiff's own call releases nothing before it
     * returns and its session keeps everything afterwards.
     */
    @Test
    void releasesIntermediatesDuringTheCallAndClosesTheSessionAfterIt() {
        Backend.init();
        SameDiff sd = deepGraph();
        Map<String, INDArray> in = Map.of("p", Nd4j.rand(DataType.FLOAT, 32, 16));
        GradientCalls.outputsAndGradients(sd, in, List.of("loss"), List.of("w1", "w2")); // builds the gradient function
        SameDiff gradientFunction = sd.getFunction("grad");
        long thread = Thread.currentThread().getId();
        assertNull(gradientFunction.getSessions().get(thread), "no session outlives a call");

        InferenceSession session = new InferenceSession(gradientFunction);
        CountingMemory memory = new CountingMemory(session.getMmgr());
        session.setMmgr(memory);
        gradientFunction.getSessions().put(thread, session);
        GradientCalls.outputsAndGradients(sd, in, List.of("loss"), List.of("w1", "w2"));

        assertTrue(memory.allocated > 8, "allocated " + memory.allocated);
        assertTrue(memory.released >= memory.allocated / 2, "released " + memory.released + " of " + memory.allocated
                + " intermediates during the call");
        assertTrue(memory.closed, "the session's array cache was closed after the call");
        assertFalse(gradientFunction.getSessions().containsKey(thread), "and the session dropped");
    }

    @Test
    void aVariableOutsideTheLossIsNamed() {
        Backend.init();
        SameDiff sd = squareGraph(Nd4j.ones(DataType.DOUBLE, 3, 2));
        sd.var("unused", Nd4j.ones(DataType.DOUBLE, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GradientCalls.outputsAndGradients(sd,
                Map.of("x", Nd4j.ones(DataType.DOUBLE, 2, 3)), List.of("loss"), List.of("unused")));
        assertTrue(e.getMessage().contains("'unused'"), e.getMessage());
    }

    private static void assertCloseTo(double[] expected, double[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "element " + i);
        }
    }
}
