package org.layerfuse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.Activation;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.PackedWeights;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.fused.PackedMatrix;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The fused engine's weight packs ({@link PooledBertForward}): made once, at the first call; read
 * by every replica; the outputs those of an engine that never packs within float32 rounding;
 * freed at close.
 */
class PooledBertForwardTest {

    private static final BertConfig CONFIG = new BertConfig(50, 32, 2, 4, 64, Activation.GELU_ERF, 16, 2, 1e-12,
            -10000.0, List.of("x", "y"));

    private static TokenBatch batch(int rows, int seq, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] ids = new int[rows][seq];
        int[][] types = new int[rows][seq];
        int[][] mask = new int[rows][seq];
        for (int i = 0; i < rows; i++) {
            int len = r.nextInt(1, seq + 1);
            for (int t = 0; t < len; t++) {
                ids[i][t] = r.nextInt(1, 50);
                mask[i][t] = 1;
            }
        }
        return new TokenBatch(ids, types, mask);
    }

    @Test
    void packsAtTheFirstLargeBatchAndMatchesAnEngineThatNeverPacks() {
        BertModel model = BertModel.random(CONFIG, 3, DataType.FLOAT);
        Assumptions.assumeTrue(PackedMatrix.available(), "oneDNN's packed GEMM is not available here");
        TokenBatch small = batch(3, 12, 4); // 36 tokens
        TokenBatch large = batch(16, 12, 5); // 192 tokens
        EncoderForward.Outputs smallDirect;
        EncoderForward.Outputs largeDirect;
        String was = System.getProperty(PooledBertForward.PACK_PROPERTY);
        System.setProperty(PooledBertForward.PACK_PROPERTY, "false");
        try (PooledBertForward never = new PooledBertForward(model, 1)) {
            smallDirect = never.run(small, true, true);
            largeDirect = never.run(large, true, true);
            assertNull(never.packs(), "-D" + PooledBertForward.PACK_PROPERTY + "=false");
        } finally {
            if (was == null) {
                System.clearProperty(PooledBertForward.PACK_PROPERTY);
            } else {
                System.setProperty(PooledBertForward.PACK_PROPERTY, was);
            }
        }
        PackedWeights packs;
        try (PooledBertForward engine = new PooledBertForward(model, 2)) {
            assertNull(engine.packs(), "nothing packed before the first call");
            assertClose(smallDirect, engine.run(small, true, true), "small batch");
            packs = engine.packs();
            assertNotNull(packs, "the first call packs");
            assertClose(largeDirect, engine.run(large, true, true), "large batch");
            assertEquals(6 * 2, packs.size());
            assertClose(largeDirect, engine.run(large, true, true), "again");
            assertSame(packs, engine.packs(), "packed once");
            assertSame(packs, model.packedWeights(), "the replicas read the model's packs");
        }
        assertFalse(packs.isOpen(), "closing the engine frees the packs");
    }

    private static void assertClose(EncoderForward.Outputs want, EncoderForward.Outputs got, String what) {
        float scale = 0;
        for (float v : want.lastHidden()) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < want.lastHidden().length; i++) {
            assertEquals(want.lastHidden()[i], got.lastHidden()[i], 1e-5 * scale, what + ": hidden " + i);
        }
        for (int i = 0; i < want.logits().length; i++) {
            for (int j = 0; j < want.logits()[i].length; j++) {
                assertEquals(want.logits()[i][j], got.logits()[i][j], 1e-5 * (1 + Math.abs(want.logits()[i][j])),
                        what + ": logit " + i + "," + j);
            }
        }
        assertTrue(want.lastHidden().length > 0);
    }
}
