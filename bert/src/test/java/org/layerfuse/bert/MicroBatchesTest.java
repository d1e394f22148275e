package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MicroBatchesTest {

    private static final List<String> LABELS = List.of("a", "b", "c");

    private static BertModel doubleModel(Activation act, int layers, long seed) {
        return BertModel.fromWeights(TestModels.randomWeights(TestModels.tinyConfig(act, layers, LABELS), seed, true),
                DataType.DOUBLE);
    }

    /** Six rows: two copies of the three-row test batch with different ids. */
    private static TokenBatch sixRows() {
        TokenBatch a = TestModels.batch(40, 31);
        TokenBatch b = TestModels.batch(40, 32);
        int[][] ids = new int[6][];
        int[][] types = new int[6][];
        int[][] mask = new int[6][];
        for (int i = 0; i < 3; i++) {
            ids[i] = a.inputIds()[i];
            types[i] = a.tokenTypeIds()[i];
            mask[i] = a.attentionMask()[i];
            ids[i + 3] = b.inputIds()[i];
            types[i + 3] = b.tokenTypeIds()[i];
            mask[i + 3] = b.attentionMask()[i];
        }
        return new TokenBatch(ids, types, mask);
    }

    @Test
    void accumulatedGradientsEqualOneCallOnTheWholeBatch() {
        BertModel model = doubleModel(Activation.GELU_ERF, 2, 33);
        TokenBatch batch = sixRows();
        int[] labels = {0, 2, 1, 1, 0, 2};
        INDArray teacher = Nd4j.rand(DataType.DOUBLE, 6, 3).subi(0.5).muli(4);
        Gradients whole = model.gradients(batch, labels, teacher, 0.5, 2.0, 6);
        // The key bias's gradient is zero in exact arithmetic (softmax ignores a per-query
        // constant), so its entries are rounding noise: compare against the largest gradient.
        double global = 0;
        for (INDArray g : whole.byParameter().values()) {
            global = Math.max(global, g.amaxNumber().doubleValue());
        }
        zeroOutsideTheirSupport(whole, "one call");
        for (int perCall : new int[] {1, 2, 4, 5}) {
            Gradients parts = model.gradients(batch, labels, teacher, 0.5, 2.0, perCall);
            zeroOutsideTheirSupport(parts, perCall + " rows a call"); // the sum's support: its parts' together
            assertEquals(whole.loss(), parts.loss(), 1e-13 * Math.abs(whole.loss()), "loss, " + perCall + " rows a call");
            assertArrayEquals(whole.logits().shape(), parts.logits().shape());
            assertArrayEquals(whole.logits().ravel().toDoubleVector(), parts.logits().ravel().toDoubleVector(), 1e-13,
                    "logits, " + perCall + " rows a call");
            assertEquals(whole.byParameter().keySet(), parts.byParameter().keySet());
            for (Map.Entry<String, INDArray> e : whole.byParameter().entrySet()) {
                double[] x = e.getValue().ravel().toDoubleVector();
                double[] y = parts.byParameter().get(e.getKey()).ravel().toDoubleVector();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], 1e-12 * global,
                            e.getKey() + "[" + i + "], " + perCall + " rows a call");
                }
            }
            parts.free();
        }
    }

    /**
     * The three embedding tables' gradients come with the rows they were written in, and are +0
     * (raw bits) in every other row: what AdamW and the next call's clearing rely on.
     */
    private static void zeroOutsideTheirSupport(Gradients g, String what) {
        assertEquals(java.util.Set.of(ParamNames.WORD_EMBEDDINGS, ParamNames.POSITION_EMBEDDINGS,
                ParamNames.TOKEN_TYPE_EMBEDDINGS), g.rowSupport().keySet(), what);
        for (Map.Entry<String, org.layerfuse.engine.kernels.RowSupport> e : g.rowSupport().entrySet()) {
            INDArray table = g.byParameter().get(e.getKey());
            java.util.Set<Integer> rows = new java.util.HashSet<>();
            for (int r : e.getValue().rows()) {
                rows.add(r);
            }
            assertTrue(!rows.isEmpty() && rows.size() < table.rows() || e.getKey().equals(ParamNames.TOKEN_TYPE_EMBEDDINGS),
                    e.getKey() + ": some rows, not all, " + what);
            for (int r = 0; r < table.rows(); r++) {
                if (!rows.contains(r)) {
                    for (double x : table.getRow(r).toDoubleVector()) {
                        assertEquals(0L, Double.doubleToRawLongBits(x), e.getKey() + " row " + r + ", " + what);
                    }
                }
            }
        }
    }

    @Test
    void crossEntropyOnlyAccumulatesToo() {
        BertModel model = doubleModel(Activation.GELU_TANH, 1, 34);
        TokenBatch batch = sixRows();
        int[] labels = {2, 2, 0, 1, 0, 1};
        Gradients whole = model.gradients(batch, labels, null, 1.0, 1.0, 6);
        Gradients parts = model.gradients(batch, labels, null, 1.0, 1.0, 4);
        assertEquals(whole.loss(), parts.loss(), 1e-13);
        INDArray a = whole.byParameter().get(ParamNames.WORD_EMBEDDINGS);
        INDArray b = parts.byParameter().get(ParamNames.WORD_EMBEDDINGS);
        assertTrue(a.sub(b).amaxNumber().doubleValue() <= 1e-12 * a.amaxNumber().doubleValue());
    }

    @Test
    void rowsFollowTheBudget() {
        BertConfig base = new BertConfig(30522, 768, 12, 12, 3072, Activation.GELU_ERF, 512, 2, 1e-12, -10000.0,
                LABELS);
        long row = MicroBatches.rowBytes(base, 12, 32, 4, false);
        // Calibration: a 32 × 32 BERT-base gradient call of libnd4j ops held ≈ 1.8 GB of live intermediates.
        assertTrue(row * 32 > 1.6e9 && row * 32 < 2.4e9, "row bytes " + row);
        // The graph of Java ops keeps about half as much: one call under the default budget of 1 GB
        // (three calls of 10–11 rows under the earlier 768 MB).
        long javaRow = MicroBatches.rowBytes(base, 12, 32, 4, true);
        assertTrue(javaRow * 32 > 0.8e9 && javaRow * 32 < 1.07e9, "row bytes with Java ops " + javaRow);
        assertEquals(1L << 30, MicroBatches.parseBytes(MicroBatches.DEFAULT_BUDGET));
        assertEquals(32, MicroBatches.rowsPerCall(1L << 30, javaRow, 32));
        // At 128 tokens a BERT-base row keeps ≈ 132 MB: micro-batches of 4 rows under the default.
        assertEquals(4, MicroBatches.rowsPerCall(1L << 30, MicroBatches.rowBytes(base, 12, 128, 4, true), 32));
        assertEquals(13, MicroBatches.rowsPerCall(768L << 20, javaRow, 32));
        assertArrayEquals(new int[] {0, 10, 21, 32}, MicroBatches.split(32, 13));
        assertEquals(32, MicroBatches.rowsPerCall(0, row, 32));
        // Over budget: micro-batches of at most half of it.
        assertEquals(6, MicroBatches.rowsPerCall(768L << 20, row, 32));
        assertEquals(12, MicroBatches.rowsPerCall(1536L << 20, row, 32));
        assertEquals(1, MicroBatches.rowsPerCall(1, row, 32));
        // A batch within the budget is one call: MiniLM at 32 × 32 needs ≈ 0.57 GB.
        BertConfig miniLm = new BertConfig(30522, 384, 6, 12, 1536, Activation.GELU_ERF, 512, 2, 1e-12, -10000.0,
                LABELS);
        assertEquals(32, MicroBatches.rowsPerCall(768L << 20, MicroBatches.rowBytes(miniLm, 6, 32, 4, false), 32));
        assertEquals(32, MicroBatches.rowsPerCall(768L << 20, MicroBatches.rowBytes(miniLm, 6, 32, 4, true), 32));
        assertEquals(32, MicroBatches.rowsPerCall(32 * row, row, 32));
        assertEquals(15, MicroBatches.rowsPerCall(32 * row - 1, row, 32));
        assertArrayEquals(new int[] {0, 10, 21, 32}, MicroBatches.split(32, 12));
        assertArrayEquals(new int[] {0, 32}, MicroBatches.split(32, 32));
        assertArrayEquals(new int[] {0, 1, 2, 3}, MicroBatches.split(3, 1));
    }

    @Test
    void aPackedBatchIsBudgetedByItsRealTokens() {
        BertConfig miniLm = new BertConfig(30522, 384, 6, 12, 1536, Activation.GELU_ERF, 512, 2, 1e-12, -10000.0,
                LABELS);
        long padded = MicroBatches.rowBytes(miniLm, 6, 128, 4, true);
        // 32 × 128 padded keeps ≈ 1.2 GB: three calls under the default budget.
        assertEquals(13, MicroBatches.rowsPerCall(1L << 30, padded, 32));
        // The bench sentences pack into 704 rows, 22 a row: one call.
        long packed = MicroBatches.rowBytes(miniLm, 6, 128, 22, 4);
        assertEquals(32, MicroBatches.rowsPerCall(1L << 30, packed, 32));
        assertTrue(packed * 128 / 22 == padded, "per token, a packed row keeps what a padded one does: " + packed);
        assertEquals(padded, MicroBatches.rowBytes(miniLm, 6, 128, 128, 4), "a row of all real tokens is a padded one");
    }

    @Test
    void budgetParsesSizesAndNamesThePropertyOnError() {
        assertEquals(512L << 20, MicroBatches.parseBytes("512m"));
        assertEquals(2L << 30, MicroBatches.parseBytes(" 2G "));
        assertEquals(0, MicroBatches.parseBytes("0"));
        assertEquals(4096, MicroBatches.parseBytes("4k"));
        for (String bad : new String[] {"", "lots", "-1m", "1.5g", "99999999999g"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MicroBatches.parseBytes(bad));
            assertTrue(e.getMessage().contains(MicroBatches.PROPERTY) && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
    }
}
