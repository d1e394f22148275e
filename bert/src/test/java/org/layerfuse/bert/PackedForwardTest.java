package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The forward on the real tokens alone ({@link FusedForward#forwardPacked}, {@link PackedRows})
 * against the scalar reference (float64, 1e-9), the full fused forward and the graph (float32,
 * 1e-5 of each tensor's largest value); its sequence output and hidden states (real rows the
 * full forward's, padding's rows 0); resuming from them bit for bit; and the batches it leaves to
 * the full forward, bit for bit.
 */
class PackedForwardTest {

    private static final double FLOAT_MIN = FusedForwardTest.FLOAT_MIN;

    /** The tiny model with room for 40 positions. */
    private static BertConfig config(Activation act, int layers, double maskValue) {
        return TestModels.tinyConfig(act, layers, maskValue, 40, FusedForwardTest.LABELS);
    }

    @AfterEach
    void packingBackToDefault() {
        FusedForward.pack(null);
    }

    /** {@code lengths[r]} real tokens then padding to {@code seq}, random ids and a second segment. */
    static TokenBatch batch(int vocab, int seq, int[] lengths, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] ids = new int[lengths.length][seq];
        int[][] types = new int[lengths.length][seq];
        int[][] mask = new int[lengths.length][seq];
        for (int row = 0; row < lengths.length; row++) {
            for (int t = 0; t < lengths[row]; t++) {
                ids[row][t] = r.nextInt(1, vocab);
                types[row][t] = t >= (lengths[row] + 1) / 2 ? 1 : 0;
                mask[row][t] = 1;
            }
        }
        return new TokenBatch(ids, types, mask);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void doubleMatchesScalarReference(Activation act) {
        for (double maskValue : new double[] {-10000.0, FLOAT_MIN}) {
            BertWeights w = TestModels.randomWeights(config(act, 3, maskValue), 11, true);
            TokenBatch batch = batch(40, 9, new int[] {9, 4, 1, 6, 2}, 12);
            BertModel model = BertModel.fromWeights(w, DataType.DOUBLE);
            int[] lengths = {9, 4, 1, 6, 2};
            Forward head = model.forwardPacked(batch);
            ScalarBert.Result ref = new ScalarBert(w).run(batch, new boolean[] {true, true, true});
            String what = act + ", mask " + maskValue + ": ";
            double[][][] real = ref.hidden()[3].clone();
            for (int r = 0; r < lengths.length; r++) {
                real[r] = real[r].clone();
                for (int t = lengths[r]; t < 9; t++) {
                    real[r][t] = new double[16]; // padding: not computed, 0
                }
            }
            BertModelTest.assertClose(real, head.sequenceOutput(), 1e-9, what + "sequence output");
            BertModelTest.assertClose2(ref.pooled(), head.pooled(), 1e-9, what + "pooled");
            BertModelTest.assertClose2(ref.logits(), head.logits(), 1e-9, what + "logits");
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void floatMatchesFullForwardAndGraph(Activation act) {
        for (double maskValue : new double[] {-10000.0, FLOAT_MIN}) {
            BertWeights w = TestModels.randomWeights(config(act, 3, maskValue), 21, true);
            TokenBatch batch = batch(40, 33, new int[] {33, 1, 17, 5, 30, 9, 12}, 22);
            BertModel model = BertModel.fromWeights(w);
            Forward head = model.forwardPacked(batch);
            String what = act + ", mask " + maskValue + ": ";
            assertRealRows(model.forward(batch).sequenceOutput(), head.sequenceOutput(),
                    new int[] {33, 1, 17, 5, 30, 9, 12}, 1e-5, what + "sequence output");
            assertNear(model.forward(batch).logits(), head.logits(), 1e-5, what + "logits vs the full forward");
            assertNear(model.forward(batch).pooled(), head.pooled(), 1e-5, what + "pooled vs the full forward");
            assertNear(model.forwardGraph(batch, false, false).logits(), head.logits(), 1e-5, what + "logits vs graph");
        }
    }

    /** MiniLM's head width (32) and a hidden size of several vectors plus a tail, one long sequence. */
    @Test
    void floatMatchesFullForwardOnAMiniLmShapedLayer() {
        BertConfig c = new BertConfig(100, 96, 2, 3, 200, Activation.GELU_ERF, 80, 2, 1e-12, -10000.0,
                FusedForwardTest.LABELS);
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(c, 31, true));
        TokenBatch batch = batch(100, 70, new int[] {70, 3, 41, 11, 8, 64, 2, 19}, 32);
        Forward head = model.forwardPacked(batch);
        assertRealRows(model.forward(batch).sequenceOutput(), head.sequenceOutput(),
                new int[] {70, 3, 41, 11, 8, 64, 2, 19}, 1e-5, "H=96, S=70: sequence output");
        assertNear(model.forward(batch).logits(), head.logits(), 1e-5, "H=96, S=70: logits");
    }

    @Test
    void hiddenStatesHoldTheRealTokensAndZeroForPadding() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_TANH, 3, -10000.0),
                    41, true), type);
            int[] lengths = {12, 3, 7, 1};
            TokenBatch batch = batch(40, 12, lengths, 42);
            Forward full = model.forward(batch, true, false);
            Forward head = model.forwardPacked(batch, true);
            assertRealRows(full.sequenceOutput(), head.sequenceOutput(), lengths, rel(type), type + " sequence output");
            double rel = rel(type);
            assertEquals(full.hiddenStates().keySet(), head.hiddenStates().keySet());
            assertRealRows(full.embeddings(), head.embeddings(), lengths, rel, type + " embeddings");
            for (int l : full.hiddenStates().keySet()) {
                assertRealRows(full.hiddenStates().get(l), head.hiddenStates().get(l), lengths, rel,
                        type + " layer " + l);
            }
        }
    }

    @Test
    void resumingFromItsStatesIsTheHeadForwardBitForBit() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF, 4, -10000.0),
                    51, true), type);
            TokenBatch batch = batch(40, 15, new int[] {15, 6, 2, 9, 4, 11}, 52);
            Forward kept = model.forwardPacked(batch, true);
            for (int l = 0; l < 4; l++) {
                model.removeLayer(l);
                INDArray start = l == 0 ? kept.embeddings() : kept.hiddenStates().get(l - 1);
                Forward resumed = model.forwardPackedAfter(batch, l, start);
                Forward again = model.forwardPacked(batch);
                assertArrayEquals(again.logits().data().asDouble(), resumed.logits().data().asDouble(),
                        type + ": logits without layer " + l);
                assertArrayEquals(again.sequenceOutput().data().asDouble(),
                        resumed.sequenceOutput().data().asDouble(), type + ": sequence output without layer " + l);
                model.restoreLayer(l);
            }
            Forward onlyHead = model.forwardPackedAfter(batch, 3, kept.hiddenStates().get(3));
            assertArrayEquals(kept.logits().data().asDouble(), onlyHead.logits().data().asDouble(), type + ": head");
        }
    }

    /**
     * Batches packing does not apply to, or gains nothing on, and packing turned off: the full
     * forward's bits, padding's rows of the sequence output included (packed, they would be 0).
     */
    @Test
    void otherwiseItIsTheFullForwardBitForBit() {
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF, 2, -10000.0),
                61, true));
        TokenBatch holes = batch(40, 10, new int[] {10, 6, 3}, 62);
        holes.attentionMask()[1][2] = 0; // a mask that is not ones then zeros
        TokenBatch empty = batch(40, 10, new int[] {10, 0, 3}, 63);
        TokenBatch noPadding = batch(40, 10, new int[] {10, 10, 10}, 64);
        TokenBatch littlePadding = batch(40, 8, new int[] {8, 8, 7}, 65); // 23 rows round up to 24
        for (TokenBatch b : List.of(holes, empty, noPadding, littlePadding)) {
            assertFullForward(model, b, "batch of lengths " + java.util.Arrays.deepToString(b.attentionMask()));
        }
        BertModel soft = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF, 2, -100.0), 66,
                true));
        assertFullForward(soft, batch(40, 10, new int[] {10, 2, 3}, 67), "mask value −100");
        FusedForward.pack(false);
        assertFullForward(model, batch(40, 10, new int[] {10, 2, 3}, 68), "packing off");
    }

    /**
     * Random batches (1–6 sequences of 1–20 tokens, any lengths including 0 and full, now and then
     * a hole in a mask): wherever the layout packs, the logits and the real tokens' rows are the
     * full forward's within 1e-5 and padding's rows 0; wherever it does not, the full forward bit
     * for bit.
     */
    @Test
    void randomBatchesMatchTheFullForward() {
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(config(Activation.GELU_ERF, 2, -10000.0),
                91, true));
        SplittableRandom r = new SplittableRandom(92);
        int packedCount = 0;
        for (int trial = 0; trial < 60; trial++) {
            int b = r.nextInt(1, 7);
            int seq = r.nextInt(1, 21);
            int[] lengths = new int[b];
            for (int i = 0; i < b; i++) {
                lengths[i] = r.nextInt(4) == 0 ? seq : r.nextInt(0, seq + 1);
            }
            TokenBatch batch = batch(40, seq, lengths, 93 + trial);
            boolean hole = seq > 2 && lengths[0] > 2 && r.nextInt(5) == 0;
            if (hole) {
                batch.attentionMask()[0][1] = 0;
            }
            String what = "trial " + trial + ": lengths " + java.util.Arrays.toString(lengths) + " of " + seq
                    + (hole ? ", a hole" : "");
            boolean packs = PackedRows.of(ModelInputs.flatten(batch, model.config()), -10000.0) != null;
            Forward full = model.forward(batch);
            Forward packed = model.forwardPacked(batch);
            if (packs) {
                packedCount++;
                assertNear(full.logits(), packed.logits(), 1e-5, what + ": logits");
                assertRealRows(full.sequenceOutput(), packed.sequenceOutput(), lengths, 1e-5, what);
            } else {
                assertArrayEquals(full.logits().data().asFloat(), packed.logits().data().asFloat(), what);
                assertArrayEquals(full.sequenceOutput().data().asFloat(), packed.sequenceOutput().data().asFloat(),
                        what);
            }
        }
        assertTrue(packedCount >= 20 && packedCount <= 55, packedCount + " of 60 packed: both kinds exercised");
    }

    @Test
    void packedRowsLayOutTheRealTokens() {
        BertConfig c = config(Activation.GELU_ERF, 1, -10000.0);
        TokenBatch batch = batch(40, 6, new int[] {6, 2, 4}, 71);
        PackedRows p = PackedRows.of(ModelInputs.flatten(batch, c), -10000.0);
        assertNotNull(p);
        assertArrayEquals(new int[] {0, 6, 8}, p.offsets());
        assertArrayEquals(new int[] {6, 2, 4}, p.lengths());
        assertEquals(12, p.real());
        assertEquals(16, p.rows());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15}, p.paddedRows());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 0, 1, 0, 1, 2, 3, 0, 0, 0, 0}, p.tokens().positions());
        for (int r = 0; r < 3; r++) {
            for (int t = 0; t < p.lengths()[r]; t++) {
                assertEquals(batch.inputIds()[r][t], p.tokens().ids()[p.offsets()[r] + t]);
                assertEquals(batch.tokenTypeIds()[r][t], p.tokens().types()[p.offsets()[r] + t]);
            }
        }
        assertEquals(640, PackedRows.roundUp(628));
        assertEquals(704, PackedRows.roundUp(679));
        for (int n = 1; n <= 5000; n++) {
            int up = PackedRows.roundUp(n);
            assertTrue(up >= n && up - n < Math.max(8, n / 8.0), n + " → " + up);
        }
    }

    private static double rel(DataType type) {
        return type == DataType.FLOAT ? 1e-5 : 1e-12;
    }

    private static void assertFullForward(BertModel model, TokenBatch batch, String what) {
        Forward full = model.forward(batch);
        Forward head = model.forwardPacked(batch);
        assertArrayEquals(full.logits().data().asFloat(), head.logits().data().asFloat(), what + ": logits");
        assertArrayEquals(full.sequenceOutput().data().asFloat(), head.sequenceOutput().data().asFloat(), what);
    }

    private static void assertRealRows(INDArray full, INDArray packed, int[] lengths, double rel, String what) {
        assertEquals(java.util.Arrays.toString(full.shape()), java.util.Arrays.toString(packed.shape()), what);
        int seq = (int) full.size(1);
        for (int r = 0; r < lengths.length; r++) {
            INDArray want = full.get(NDArrayIndex.point(r), NDArrayIndex.interval(0, lengths[r]), NDArrayIndex.all());
            INDArray got = packed.get(NDArrayIndex.point(r), NDArrayIndex.interval(0, lengths[r]), NDArrayIndex.all());
            assertNear(want, got, rel, what + ", sequence " + r);
            if (lengths[r] < seq) {
                INDArray pad = packed.get(NDArrayIndex.point(r), NDArrayIndex.interval(lengths[r], seq),
                        NDArrayIndex.all());
                assertEquals(0.0, pad.castTo(DataType.DOUBLE).amaxNumber().doubleValue(), 0.0,
                        what + ", sequence " + r + ": padding rows are 0");
            }
        }
    }

    private static void assertNear(INDArray expected, INDArray actual, double rel, String what) {
        FusedForwardTest.assertTensor(expected, actual, rel, what);
    }
}
