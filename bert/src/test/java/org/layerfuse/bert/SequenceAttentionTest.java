package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.engine.Backend;
import org.layerfuse.engine.fused.DnnlAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two ways {@link SequenceAttention} runs float32 attention give the same function: the
 * whole batch at once (products on oneDNN, no biases to add: the fused forward's) and sequence
 * by sequence on the Vector-API kernel (the training op's, here with zero biases so that it is
 * chosen), on padded sequences with both mask constants: context and probabilities within
 * 1e-5 of each tensor's largest value, every probability row summing to 1. 7 × 256 tokens of
 * 12 heads go in calls of fewer sequences (the scores' size bound), the last one shorter.
 */
class SequenceAttentionTest {

    @BeforeAll
    static void backend() {
        Backend.init();
        SequenceAttention.batchedMinScores(0L); // every shape on the batched path
    }

    @org.junit.jupiter.api.AfterAll
    static void threshold() {
        SequenceAttention.batchedMinScores(null);
    }

    /** Below the threshold the batched path is skipped (and at it taken): the per-sequence kernel's bits. */
    @Test
    void smallBatchesStayOnThePerSequenceKernel() {
        SequenceAttention.batchedMinScores(null);
        try {
            int batch = 2;
            int seq = 60;
            int heads = 4;
            int h = heads * 64;
            Nd4j.getRandom().setSeed(5);
            INDArray q = Nd4j.rand(DataType.FLOAT, batch * seq, h).subi(0.5).muli(4);
            INDArray k = Nd4j.rand(DataType.FLOAT, batch * seq, h).subi(0.5).muli(4);
            INDArray v = Nd4j.rand(DataType.FLOAT, batch * seq, h).subi(0.5);
            float[] mask = new float[batch * seq];
            java.util.Arrays.fill(mask, 0, batch * seq - 5, 1f);
            INDArray zero = Nd4j.zeros(DataType.FLOAT, h);
            INDArray small = Nd4j.create(DataType.FLOAT, batch * seq, h);
            INDArray perSequence = Nd4j.create(DataType.FLOAT, batch * seq, h);
            long before = SequenceAttention.batchedCalls();
            SequenceAttention.run(q, k, v, null, null, null, mask, batch, seq, -10000, heads, small, null);
            assertEquals(before, SequenceAttention.batchedCalls(), "28,800 scores: not batched");
            SequenceAttention.run(q, k, v, zero, zero, zero, mask, batch, seq, -10000, heads, perSequence, null);
            org.junit.jupiter.api.Assertions.assertArrayEquals(perSequence.data().asInt(), small.data().asInt());
            SequenceAttention.batchedMinScores((long) batch * heads * seq * seq);
            SequenceAttention.run(q, k, v, null, null, null, mask, batch, seq, -10000, heads, small, null);
            String variant = Backend.info().variant();
            if (variant.equals("avx2") || variant.equals("avx512")) {
                assertEquals(before + 1, SequenceAttention.batchedCalls(), "at the threshold: batched");
            }
        } finally {
            SequenceAttention.batchedMinScores(0L);
        }
    }

    @ParameterizedTest
    @CsvSource({"32, 32, 12, 32, -10000", "3, 13, 4, 8, -3.4028234663852886E38", "2, 1, 2, 4, -10000",
        "4, 20, 3, 40, -3.4028234663852886E38", "7, 256, 12, 8, -10000"})
    void wholeBatchMatchesSequenceBySequence(int batch, int seq, int heads, int d, double maskValue) {
        String variant = Backend.info().variant();
        if (variant.equals("avx2") || variant.equals("avx512")) {
            assertTrue(DnnlAttention.supports(batch, seq, heads, d), "the batched products run on " + variant);
        }
        if (seq == 256) {
            int chunk = SequenceAttention.sequencesPerCall(batch, seq, heads);
            assertTrue(chunk < batch && batch % chunk != 0, "split into calls of " + chunk + " sequences");
        }
        int h = heads * d;
        long n = (long) batch * seq;
        Nd4j.getRandom().setSeed(seq * 31L + heads);
        INDArray q = Nd4j.rand(DataType.FLOAT, n, h).subi(0.5).muli(4);
        INDArray k = Nd4j.rand(DataType.FLOAT, n, h).subi(0.5).muli(4);
        INDArray v = Nd4j.rand(DataType.FLOAT, n, h).subi(0.5);
        float[] mask = new float[(int) n];
        for (int b = 0; b < batch; b++) {
            int length = Math.max(1, seq - 3 * b); // later sequences padded
            for (int t = 0; t < length; t++) {
                mask[b * seq + t] = 1f;
            }
        }
        INDArray zero = Nd4j.zeros(DataType.FLOAT, h);
        INDArray ctxBatch = Nd4j.create(DataType.FLOAT, n, h);
        INDArray ctxSeq = Nd4j.create(DataType.FLOAT, n, h);
        INDArray pBatch = Nd4j.create(DataType.FLOAT, batch, heads, seq, seq);
        INDArray pSeq = Nd4j.create(DataType.FLOAT, batch, heads, seq, seq);
        SequenceAttention.run(q, k, v, null, null, null, mask, batch, seq, maskValue, heads, ctxBatch, pBatch);
        SequenceAttention.run(q, k, v, zero, zero, zero, mask, batch, seq, maskValue, heads, ctxSeq, pSeq);
        String what = batch + "×" + seq + ", " + heads + " heads of " + d + ", mask " + maskValue;
        assertNear(ctxSeq, ctxBatch, what + ": context");
        assertNear(pSeq, pBatch, what + ": probabilities");
        INDArray sums = pBatch.sum(3);
        assertEquals(0, sums.sub(1.0).amaxNumber().doubleValue(), 1e-5, what + ": rows sum to 1");
        // without probabilities, the same context
        INDArray ctxOnly = Nd4j.create(DataType.FLOAT, n, h);
        SequenceAttention.run(q, k, v, null, null, null, mask, batch, seq, maskValue, heads, ctxOnly, null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(ctxBatch.data().asInt(), ctxOnly.data().asInt(),
                what + ": context bits with and without probabilities");
    }

    private static void assertNear(INDArray want, INDArray got, String what) {
        double scale = Math.max(1e-30, want.amaxNumber().doubleValue());
        double worst = want.sub(got).amaxNumber().doubleValue();
        assertTrue(worst <= 1e-5 * scale, what + ": worst difference " + worst + " of largest " + scale);
    }
}
