package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.fused.PackedMatrix;
import org.layerfuse.engine.fused.Team;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link BertModel#packWeights()}: the fused forward against packed weights is the direct
 * forward's within float32 rounding (full and packed batches, resumed forwards, one short
 * sequence; each activation, which the packed FFN product applies in its own pass), and no forward reads packs of weights that changed: gradients, a loaded state and
 * closing drop them, for the model and its replicas alike.
 */
class PackedWeightsTest {

    private static final List<String> LABELS = List.of("a", "b", "c");
    /** 18 sequences of up to 12 tokens: 216 padded rows, 124 real. */
    private static final int[] LENGTHS = {12, 3, 9, 12, 1, 7, 5, 12, 8, 2, 11, 6, 4, 10, 3, 9, 12, 8};

    private static BertConfig config(Activation act) {
        return new BertConfig(60, 40, 3, 5, 72, act, 16, 2, 1e-12, -10000.0, LABELS);
    }

    private static BertModel model(DataType dtype) {
        return model(dtype, Activation.GELU_ERF);
    }

    private static BertModel model(DataType dtype, Activation act) {
        return BertModel.fromWeights(TestModels.randomWeights(config(act), 61, true), dtype);
    }

    private static BertModel packedOrSkip(BertModel model) {
        Assumptions.assumeTrue(PackedMatrix.available(), "oneDNN's packed GEMM is not available here");
        return model;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void forwardsMatchTheDirectProducts(Activation act) {
        BertModel model = packedOrSkip(model(DataType.FLOAT, act));
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 62);
        Forward full = model.forward(batch, true, false);
        Forward packed = model.forwardPacked(batch, true);
        Forward resumed = model.forwardPackedAfter(batch, 0, packed.hiddenStates().get(0));
        try (PackedWeights packs = model.packWeights()) {
            assertEquals(6 * 3, packs.size(), "six matrices a layer");
            assertTrue(packs.bytes() >= 4L * 3 * (4 * 40 * 40 + 2 * 40 * 72), "the packs hold the matrices");
            assertSame(packs, model.packedWeights());
            assertClose(full.sequenceOutput(), model.forward(batch).sequenceOutput(), "full forward");
            assertClose(full.logits(), model.forward(batch).logits(), "full forward's logits");
            assertClose(packed.sequenceOutput(), model.forwardPacked(batch).sequenceOutput(), "real tokens alone");
            assertClose(resumed.logits(), model.forwardPackedAfter(batch, 0, packed.hiddenStates().get(0)).logits(),
                    "resumed after layer 0");
        }
        assertNull(model.packedWeights(), "closed");
        assertArrayEquals(full.sequenceOutput().data().asInt(), model.forward(batch).sequenceOutput().data().asInt(),
                "closed: the direct products again, bit for bit");
    }

    /**
     * The packed forward holds the machine's cores ({@link Team}) and splits its products and
     * attention over them: a forward run while another thread leads the team (its work then runs
     * on the caller alone) gives the bits of the forward that leads it, at row counts where the
     * products split by columns (few rows) and by rows (many).
     */
    @Test
    void aTeamChangesWhoComputesNotTheBits() throws Exception {
        BertModel model = packedOrSkip(BertModel.fromWeights(TestModels.randomWeights(
                new BertConfig(60, 128, 2, 4, 256, Activation.GELU_ERF, 16, 2, 1e-12, -10000.0, LABELS), 63, true),
                DataType.FLOAT));
        int[] many = new int[LENGTHS.length * 2];
        for (int i = 0; i < many.length; i++) {
            many[i] = LENGTHS[i % LENGTHS.length];
        }
        TokenBatch few = PackedForwardTest.batch(60, 12, LENGTHS, 64); // 216 padded rows, 124 real
        TokenBatch lots = PackedForwardTest.batch(60, 12, many, 65);    // 432 padded rows
        try (PackedWeights packs = model.packWeights()) {
            INDArray[][] unled = new INDArray[1][];
            Throwable[] failed = new Throwable[1];
            try (Team.Scope held = Team.enter()) { // this thread leads; the other's forwards run alone
                Thread other = new Thread(() -> {
                    try {
                        unled[0] = outputs(model, few, lots);
                    } catch (Throwable e) {
                        failed[0] = e;
                    }
                });
                other.start();
                other.join();
            }
            if (failed[0] != null) {
                throw new AssertionError("the forward beside a led team failed", failed[0]);
            }
            INDArray[] led = outputs(model, few, lots);
            String[] what = {"216 padded rows", "124 real rows", "432 padded rows", "432 padded rows' logits"};
            for (int i = 0; i < led.length; i++) {
                assertArrayEquals(led[i].data().asInt(), unled[0][i].data().asInt(), what[i]);
            }
        }
    }

    private static INDArray[] outputs(BertModel model, TokenBatch few, TokenBatch lots) {
        return new INDArray[] {model.forward(few).sequenceOutput().dup(), model.forwardPacked(few).sequenceOutput().dup(),
            model.forward(lots).sequenceOutput().dup(), model.forward(lots).logits().dup()};
    }

    @Test
    void theForwardReadsThePacks() {
        BertModel model = packedOrSkip(model(DataType.FLOAT));
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 66);
        INDArray before = model.forward(batch).sequenceOutput();
        try (PackedWeights packs = model.packWeights()) {
            // written behind the model's back (what the class doc tells callers not to do): the
            // packed products still read the snapshot, which shows that they ran
            model.parameter(ParamNames.LayerMatrix.OUTPUT.kernel(2)).muli(3);
            assertClose(before, model.forward(batch).sequenceOutput(), "the snapshot");
            packs.close();
            INDArray after = model.forward(batch).sequenceOutput();
            assertTrue(after.sub(before).amaxNumber().doubleValue() > 1e-2, "direct again: the written weights");
        }
    }

    @Test
    void oneShortSequenceReadsThePacksToo() {
        BertModel model = packedOrSkip(model(DataType.FLOAT));
        TokenBatch one = PackedForwardTest.batch(60, 12, new int[] {7}, 63);
        INDArray direct = model.forward(one).sequenceOutput();
        INDArray directPacked = model.forwardPacked(one).logits();
        try (PackedWeights packs = model.packWeights()) {
            assertClose(direct, model.forward(one).sequenceOutput(), "one sequence of 12 rows");
            assertClose(directPacked, model.forwardPacked(one).logits(), "its 7 real tokens");
            model.parameter(ParamNames.LayerMatrix.INTERMEDIATE.kernel(0)).muli(3); // not seen: the packs ran
            assertClose(direct, model.forward(one).sequenceOutput(), "the snapshot");
        }
    }

    @Test
    void changedWeightsAreNeverReadFromStalePacks() {
        BertModel model = packedOrSkip(model(DataType.FLOAT));
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 64);
        int[] labels = new int[LENGTHS.length];
        PackedWeights packs = model.packWeights();
        BertModel replica = model.replica();
        assertSame(packs, replica.packedWeights(), "a replica reads its model's packs");
        replica.gradients(batch, labels).free(); // before an update of the shared arrays
        assertFalse(packs.isOpen(), "gradients drop the packs");
        assertNull(model.packedWeights());
        assertEquals(0, packs.bytes());
        model.parameter(ParamNames.LayerMatrix.INTERMEDIATE.kernel(1)).muli(1.5); // an update
        INDArray updated = model.forward(batch).sequenceOutput();
        BertModel fresh = model.copy(); // the same weights, never packed
        assertArrayEquals(fresh.forward(batch).sequenceOutput().data().asInt(), updated.data().asInt(),
                "after the drop the forward reads the updated weights");

        PackedWeights again = model.packWeights();
        assertClose(updated, model.forward(batch).sequenceOutput(), "packed after the update");
        model.loadState(fresh.allParameters(), fresh.liveMask());
        assertFalse(again.isOpen(), "a loaded state drops the packs");
        PackedWeights third = model.packWeights();
        PackedWeights fourth = model.packWeights();
        assertFalse(third.isOpen(), "packing again drops the earlier packs");
        assertSame(fourth, model.packedWeights());
        fourth.close();
        fourth.close(); // twice is fine
        assertNull(model.packedWeights());
    }

    @Test
    void aRefusedStateDropsThePacksToo() {
        BertModel model = packedOrSkip(model(DataType.FLOAT));
        java.util.Map<String, INDArray> state = new java.util.LinkedHashMap<>();
        model.allParameters().forEach((name, a) -> state.put(name, a.dup()));
        String last = ParamNames.LayerMatrix.OUTPUT.kernel(2);
        state.put(last, org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 3, 3)); // refused: wrong shape
        PackedWeights packs = model.packWeights();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> model.loadState(state, model.liveMask()));
        assertFalse(packs.isOpen(), "dropped before any array changed");
        assertNull(model.packedWeights());
    }

    @Test
    void float64ModelsPackNothing() {
        BertModel model = model(DataType.DOUBLE);
        TokenBatch batch = PackedForwardTest.batch(60, 12, LENGTHS, 65);
        INDArray direct = model.forward(batch).sequenceOutput();
        try (PackedWeights packs = model.packWeights()) {
            assertEquals(0, packs.size());
            assertEquals(0, packs.bytes());
            assertArrayEquals(direct.data().asLong(), model.forward(batch).sequenceOutput().data().asLong());
        }
    }

    /** Within float32 rounding: 1e-5 of the tensor's largest value. */
    private static void assertClose(INDArray want, INDArray got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        double scale = want.amaxNumber().doubleValue();
        float[] w = want.dup('c').data().asFloat();
        float[] g = got.dup('c').data().asFloat();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-5 * scale, what + ": element " + i);
        }
    }
}
