package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Attention's two batched products on oneDNN against float64 loops over the same floats:
 * sequences shorter and longer than a vector, heads narrower than one, one token, MiniLM's
 * 32 × 32 heads; the scores' padding columns are left as they were.
 */
class DnnlAttentionTest {

    @BeforeAll
    static void backend() {
        Backend.init();
        String variant = Backend.info().variant();
        if (variant.equals("avx2") || variant.equals("avx512")) {
            assertTrue(DnnlAttention.available(), "oneDNN's library loads beside ND4J's " + variant + " build");
        }
        assumeTrue(DnnlAttention.available(), "oneDNN's library did not load here");
    }

    @ParameterizedTest
    @CsvSource({"3, 7, 4, 8", "2, 32, 12, 32", "1, 1, 2, 4", "2, 19, 3, 20"})
    void productsMatchFloat64Loops(int batch, int seq, int heads, int d) {
        int h = heads * d;
        INDArray q = Nd4j.rand(DataType.FLOAT, (long) batch * seq, h).subi(0.5);
        INDArray k = Nd4j.rand(DataType.FLOAT, (long) batch * seq, h).subi(0.5);
        INDArray v = Nd4j.rand(DataType.FLOAT, (long) batch * seq, h).subi(0.5);
        int sp = DnnlAttention.scoreRow(seq);
        assertTrue(sp >= seq && sp % TransformerKernels.LANES == 0, "score rows of whole vectors: " + sp);
        INDArray scores = Nd4j.valueArrayOf(new long[] {DnnlAttention.scoresSize(batch, seq, heads)}, -7f,
                DataType.FLOAT);
        DnnlAttention.scores(q, k, scores, batch, seq, heads);
        float[] qa = q.data().asFloat();
        float[] ka = k.data().asFloat();
        float[] va = v.data().asFloat();
        float[] st = scores.data().asFloat();
        String what = batch + "×" + seq + " tokens, " + heads + " heads of " + d;
        for (int b = 0; b < batch; b++) {
            for (int head = 0; head < heads; head++) {
                int block = (b * heads + head) * seq * sp;
                for (int j = 0; j < seq; j++) {
                    for (int i = 0; i < sp; i++) {
                        float got = st[block + j * sp + i];
                        if (i >= seq) {
                            assertEquals(-7f, got, what + ": padding column " + i + " untouched");
                            continue;
                        }
                        double want = 0;
                        for (int e = 0; e < d; e++) {
                            want += (double) ka[(b * seq + j) * h + head * d + e]
                                    * qa[(b * seq + i) * h + head * d + e];
                        }
                        assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)) * Math.sqrt(d),
                                what + ": score of key " + j + " for query " + i);
                    }
                }
            }
        }
        // any values as probabilities: the context product is a plain batched product
        INDArray ctx = Nd4j.create(DataType.FLOAT, (long) batch * seq, h);
        DnnlAttention.context(scores, v, ctx, batch, seq, heads);
        float[] c = ctx.data().asFloat();
        for (int b = 0; b < batch; b++) {
            for (int head = 0; head < heads; head++) {
                int block = (b * heads + head) * seq * sp;
                for (int i = 0; i < seq; i++) {
                    for (int e = 0; e < d; e++) {
                        double want = 0;
                        double scale = 0;
                        for (int j = 0; j < seq; j++) {
                            double term = (double) st[block + j * sp + i] * va[(b * seq + j) * h + head * d + e];
                            want += term;
                            scale += Math.abs(term);
                        }
                        assertEquals(want, c[(b * seq + i) * h + head * d + e], 1e-6 * Math.max(1, scale),
                                what + ": context of query " + i + ", column " + (head * d + e));
                    }
                }
            }
        }
    }

    /**
     * Inside a {@link Team}'s scope the batch's sequences are cut into groups, one product call
     * each (on the team's threads where the scope leads it): every sequence's scores and context
     * are the bits of the whole batch's call outside a scope.
     */
    @ParameterizedTest
    @CsvSource({"32, 32, 12, 32", "3, 7, 4, 8", "1, 5, 2, 4", "5, 19, 3, 20"})
    void aTeamScopeSplitsTheBatchWithoutChangingItsBits(int batch, int seq, int heads, int d) {
        int h = heads * d;
        INDArray q = Nd4j.rand(DataType.FLOAT, (long) batch * seq, h).subi(0.5);
        INDArray k = Nd4j.rand(DataType.FLOAT, (long) batch * seq, h).subi(0.5);
        INDArray v = Nd4j.rand(DataType.FLOAT, (long) batch * seq, h).subi(0.5);
        long size = DnnlAttention.scoresSize(batch, seq, heads);
        INDArray scores = Nd4j.create(DataType.FLOAT, size);
        INDArray ctx = Nd4j.create(DataType.FLOAT, (long) batch * seq, h);
        assertTrue(DnnlAttention.supports(batch, seq, heads, d));
        DnnlAttention.scores(q, k, scores, batch, seq, heads);
        DnnlAttention.context(scores, v, ctx, batch, seq, heads);
        INDArray teamScores = Nd4j.create(DataType.FLOAT, size);
        INDArray teamCtx = Nd4j.create(DataType.FLOAT, (long) batch * seq, h);
        try (Team.Scope scope = Team.enter()) {
            assertTrue(DnnlAttention.supports(batch, seq, heads, d));
            DnnlAttention.scores(q, k, teamScores, batch, seq, heads);
            DnnlAttention.context(scores, v, teamCtx, batch, seq, heads);
        }
        String what = batch + "×" + seq + " tokens, " + heads + " heads of " + d;
        org.junit.jupiter.api.Assertions.assertArrayEquals(scores.data().asInt(), teamScores.data().asInt(),
                what + ": scores");
        org.junit.jupiter.api.Assertions.assertArrayEquals(ctx.data().asInt(), teamCtx.data().asInt(),
                what + ": context");
    }

    /** The same arrays twice give the same bits (the primitive is kept and pointed at them again). */
    @Test
    void repeatsGiveTheSameBits() {
        INDArray q = Nd4j.rand(DataType.FLOAT, 64, 48);
        INDArray k = Nd4j.rand(DataType.FLOAT, 64, 48);
        INDArray first = Nd4j.create(DataType.FLOAT, DnnlAttention.scoresSize(4, 16, 3));
        INDArray second = Nd4j.create(DataType.FLOAT, DnnlAttention.scoresSize(4, 16, 3));
        DnnlAttention.scores(q, k, first, 4, 16, 3);
        DnnlAttention.scores(q.dup(), k.dup(), second, 4, 16, 3);
        org.junit.jupiter.api.Assertions.assertArrayEquals(first.data().asInt(), second.data().asInt());
    }

    @Test
    void turnedOffItIsNotUsed() {
        DnnlAttention.use(false);
        try {
            assertTrue(!DnnlAttention.available() && !DnnlAttention.supports(2, 32, 12, 32), "off: the kernel runs");
        } finally {
            DnnlAttention.use(null);
        }
        assertTrue(DnnlAttention.available() && DnnlAttention.supports(2, 32, 12, 32), "back on");
    }

    @Test
    void badArraysAreNamed() {
        INDArray q = Nd4j.rand(DataType.FLOAT, 12, 8);
        INDArray scores = Nd4j.create(DataType.FLOAT, DnnlAttention.scoresSize(2, 6, 2));
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> DnnlAttention.scores(q, Nd4j.rand(DataType.FLOAT, 11, 8), scores, 2, 6, 2));
        assertTrue(rows.getMessage().contains("key") && rows.getMessage().contains("[12, heads·d]"),
                rows.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> DnnlAttention.scores(q, q, Nd4j.create(DataType.FLOAT, 10), 2, 6, 2));
        assertTrue(small.getMessage().contains("scores") && small.getMessage().contains(
                String.valueOf(DnnlAttention.scoresSize(2, 6, 2))), small.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> DnnlAttention.context(scores, Nd4j.rand(DataType.DOUBLE, 12, 8),
                        Nd4j.create(DataType.FLOAT, 12, 8), 2, 6, 2));
        assertTrue(dtype.getMessage().contains("value") && dtype.getMessage().contains("DOUBLE"), dtype.getMessage());
    }
}
